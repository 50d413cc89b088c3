/* The library's version; CMakeLists.txt reads it from here. */
#ifndef WECOM_VERSION_H
#define WECOM_VERSION_H

#define WECOM_VERSION_MAJOR 0
#define WECOM_VERSION_MINOR 1
#define WECOM_VERSION_PATCH 0
#define WECOM_VERSION_STRING "0.1.0"

#endif
