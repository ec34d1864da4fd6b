/* sketch.c -- placeholder until the module lands. */
#include "sketch.h"
