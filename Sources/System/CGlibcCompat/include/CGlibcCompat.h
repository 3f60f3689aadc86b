#ifndef SWITCHYARD_CGLIBCCOMPAT_H
#define SWITCHYARD_CGLIBCCOMPAT_H
// Nothing to call: linking this target is what matters (see compat.c).
#endif
