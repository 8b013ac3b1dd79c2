# Finding CMocka, for irpsim's own tests and for irpsim_add_driver_test in
# projects that use irpsim (this file is installed with irpsim's package).
#
#   irpsim_find_cmocka([REQUIRED])
#
# Defines the imported target IrpSim::cmocka (visible everywhere) when
# CMocka is found, and does nothing if that target exists already: a project
# may define IrpSim::cmocka itself (e.g. as an ALIAS of a CMocka it builds)
# before calling find_package(irpsim) or add_subdirectory(irpsim).
#
# Looks, in order, in: CMocka's own CMake package (cmocka 1.1.6+ exports
# cmocka::cmocka; 1.1.5 sets CMOCKA_INCLUDE_DIR / CMOCKA_LIBRARY),
# pkg-config (cmocka.pc), and the usual include and library directories.
# CMAKE_PREFIX_PATH (or, cross-compiling, CMAKE_FIND_ROOT_PATH) adds places.
include_guard(GLOBAL)

function(_irpsim_cmocka_target include_dir library)
  add_library(IrpSim::cmocka UNKNOWN IMPORTED GLOBAL)
  set_target_properties(IrpSim::cmocka PROPERTIES
    IMPORTED_LOCATION "${library}"
    INTERFACE_INCLUDE_DIRECTORIES "${include_dir}")
endfunction()

function(irpsim_find_cmocka)
  cmake_parse_arguments(ARG "REQUIRED" "" "" ${ARGN})
  if(TARGET IrpSim::cmocka)
    return()
  endif()
  # On Windows a CMocka build has libcmocka-static.a next to the DLL's
  # import library: the static one spares a DLL next to every test.
  if(WIN32)
    set(_names cmocka-static cmocka)
  else()
    set(_names cmocka cmocka-static)
  endif()

  # 1. CMocka's CMake package.
  find_package(cmocka CONFIG QUIET)
  if(TARGET cmocka::cmocka)
    get_target_property(_aliased cmocka::cmocka ALIASED_TARGET)
    if(_aliased)
      set(_real ${_aliased})
    else()
      set(_real cmocka::cmocka)
    endif()
    add_library(IrpSim::cmocka INTERFACE IMPORTED GLOBAL)
    set_target_properties(IrpSim::cmocka PROPERTIES INTERFACE_LINK_LIBRARIES ${_real})
    return()
  endif()
  if(cmocka_FOUND AND CMOCKA_INCLUDE_DIR AND CMOCKA_LIBRARY AND EXISTS "${CMOCKA_LIBRARY}")
    _irpsim_cmocka_target("${CMOCKA_INCLUDE_DIR}" "${CMOCKA_LIBRARY}")
    return()
  endif()

  # 2. pkg-config.
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(IRPSIM_PC_CMOCKA QUIET cmocka)
    if(IRPSIM_PC_CMOCKA_FOUND)
      find_library(IRPSIM_CMOCKA_LIBRARY NAMES ${_names}
                   HINTS ${IRPSIM_PC_CMOCKA_LIBRARY_DIRS})
      find_path(IRPSIM_CMOCKA_INCLUDE_DIR cmocka.h HINTS ${IRPSIM_PC_CMOCKA_INCLUDE_DIRS})
      if(IRPSIM_CMOCKA_LIBRARY AND IRPSIM_CMOCKA_INCLUDE_DIR)
        _irpsim_cmocka_target("${IRPSIM_CMOCKA_INCLUDE_DIR}" "${IRPSIM_CMOCKA_LIBRARY}")
        return()
      endif()
    endif()
  endif()

  # 3. The usual places.
  find_path(IRPSIM_CMOCKA_INCLUDE_DIR cmocka.h)
  find_library(IRPSIM_CMOCKA_LIBRARY NAMES ${_names})
  if(IRPSIM_CMOCKA_LIBRARY AND IRPSIM_CMOCKA_INCLUDE_DIR)
    _irpsim_cmocka_target("${IRPSIM_CMOCKA_INCLUDE_DIR}" "${IRPSIM_CMOCKA_LIBRARY}")
    return()
  endif()

  if(ARG_REQUIRED)
    message(FATAL_ERROR "irpsim: CMocka not found. On Debian/Ubuntu: apt-get install libcmocka-dev; "
                        "elsewhere set CMAKE_PREFIX_PATH to a CMocka installation "
                        "(scripts/test-mingw.sh shows how to build one for MinGW-w64).")
  endif()
endfunction()
