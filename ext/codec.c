/* codec.c -- placeholder until the module lands. */
#include "codec.h"
