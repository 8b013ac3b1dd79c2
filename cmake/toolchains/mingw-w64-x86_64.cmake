# Cross-compiling irpsim for 64-bit Windows with Debian's MinGW-w64 GCC
# (package gcc-mingw-w64-x86-64), and running the results under Wine.
#
#   cmake -S . -B build-mingw --toolchain cmake/toolchains/mingw-w64-x86_64.cmake
#
# The posix thread model is required (the default irpsim platform layer uses
# POSIX threads, from winpthreads): the compilers are named explicitly with
# their -posix suffix, so the system's update-alternatives choice does not
# matter. Override with -DIRPSIM_MINGW_PREFIX=... for another triplet.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(IRPSIM_MINGW_PREFIX "x86_64-w64-mingw32" CACHE STRING "MinGW-w64 tool prefix")
set(IRPSIM_MINGW_SUFFIX "-posix" CACHE STRING "MinGW-w64 compiler suffix (thread model)")

set(CMAKE_C_COMPILER ${IRPSIM_MINGW_PREFIX}-gcc${IRPSIM_MINGW_SUFFIX})
set(CMAKE_CXX_COMPILER ${IRPSIM_MINGW_PREFIX}-g++${IRPSIM_MINGW_SUFFIX})
set(CMAKE_RC_COMPILER ${IRPSIM_MINGW_PREFIX}-windres)

# Host programs (pkg-config, cmake helpers) from the build machine; headers
# and libraries only from the MinGW sysroot (and from whatever the caller
# adds to CMAKE_PREFIX_PATH, e.g. a MinGW build of CMocka).
set(IRPSIM_MINGW_EXTRA_ROOTS "" CACHE STRING "More install prefixes holding MinGW-built packages (e.g. CMocka)")
set(CMAKE_FIND_ROOT_PATH /usr/${IRPSIM_MINGW_PREFIX} ${IRPSIM_MINGW_EXTRA_ROOTS})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# The build machine's pkg-config would offer Linux libraries (cmocka.pc):
# look only in the MinGW prefixes.
set(_irpsim_pc_dirs "")
foreach(_irpsim_root IN LISTS CMAKE_FIND_ROOT_PATH)
  list(APPEND _irpsim_pc_dirs ${_irpsim_root}/lib/pkgconfig)
endforeach()
string(REPLACE ";" ":" _irpsim_pc_dirs "${_irpsim_pc_dirs}")
set(ENV{PKG_CONFIG_LIBDIR} "${_irpsim_pc_dirs}")
set(ENV{PKG_CONFIG_PATH} "")

# Link the C runtime support libraries and winpthreads statically, so the
# .exe files run under Wine without a PATH to the MinGW DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# CTest runs every test program through Wine.
find_program(IRPSIM_WINE NAMES wine wine64 wine-stable)
if(IRPSIM_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${IRPSIM_WINE})
endif()
