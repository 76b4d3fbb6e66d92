/* The module's sanitizer defaults (see sanitizer-defaults.c). */
#define TN_SAN_HOST 1
#include "sanitizer-defaults.c"
