#ifndef SWITCHYARD_CTURBOJPEG_SHIM_H
#define SWITCHYARD_CTURBOJPEG_SHIM_H
#include <stddef.h>
#include <turbojpeg.h>
#endif
