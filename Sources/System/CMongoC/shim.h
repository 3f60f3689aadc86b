#ifndef SWITCHYARD_CMONGOC_SHIM_H
#define SWITCHYARD_CMONGOC_SHIM_H
// The static archives from scripts/build-deps (no dllimport-style decorations).
#define BSON_STATIC 1
#define MONGOC_STATIC 1
#include <mongoc/mongoc.h>
#endif
