#ifndef SWITCHYARD_CMONGOC_SHIM_H
#define SWITCHYARD_CMONGOC_SHIM_H
#include <mongoc/mongoc.h>
#endif
