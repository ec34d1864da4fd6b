/* parse.c -- placeholder until the module lands. */
#include "parse.h"
