# Install rules (included by the top-level CMakeLists.txt when IRPSIM_INSTALL
# is ON). Layout under the prefix:
#
#   include/irpsim/                 irpsim.h, trace.h, cmocka.h, wdk/*.h
#   include/irpsim/wdk-headers/     ntddk.h, wdm.h, ... (the WDK names, kept
#                                   out of the system include directory)
#   include/irpsim/win32-headers/   windows.h, winioctl.h (when present)
#   lib/libirpsim.a                 (or the shared library)
#   lib/cmake/irpsim/               irpsimConfig.cmake: irpsim::irpsim,
#                                   irpsim::win32, irpsim_add_driver_test
#   lib/pkgconfig/irpsim.pc         (and irpsim-win32.pc)
include(CMakePackageConfigHelpers)

set(IRPSIM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/irpsim
    CACHE STRING "Where irpsim's CMake package goes (relative to the prefix)")
mark_as_advanced(IRPSIM_INSTALL_CMAKEDIR)

install(TARGETS irpsim EXPORT irpsimTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/wdk/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/irpsim/wdk-headers)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/irpsim/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/irpsim)
if(TARGET irpsim_win32)
  install(TARGETS irpsim_win32 EXPORT irpsimTargets)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/win32/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/irpsim/win32-headers)
endif()

install(EXPORT irpsimTargets NAMESPACE irpsim:: DESTINATION ${IRPSIM_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/irpsimConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/irpsimConfig.cmake
                              INSTALL_DESTINATION ${IRPSIM_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API, so only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/irpsimConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/irpsimConfig.cmake
              ${PROJECT_BINARY_DIR}/irpsimConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/IrpSimDriver.cmake
              ${PROJECT_SOURCE_DIR}/cmake/IrpSimCMocka.cmake
              ${PROJECT_SOURCE_DIR}/cmake/IrpSimWarnings.cmake
        DESTINATION ${IRPSIM_INSTALL_CMAKEDIR})

# pkg-config. The prefix is found from the .pc file's own place, so the
# files stay right after `cmake --install --prefix ...` or a DESTDIR move.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(IRPSIM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(IRPSIM_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _irpsim_up "/irpsim-root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/irpsim-root")
  string(REGEX REPLACE "/$" "" _irpsim_up "${_irpsim_up}")
  set(IRPSIM_PC_PREFIX "\${pcfiledir}/${_irpsim_up}")
  set(IRPSIM_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(IRPSIM_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(IRPSIM_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# What linking libirpsim needs besides itself: the host's threads for the
# POSIX platform layer (nothing more for the Win32 one: kernel32 is linked
# by default).
set(_irpsim_pc_deps "")
if(IRPSIM_PAL_SELECTED STREQUAL "posix")
  if(WIN32)
    set(_irpsim_pc_deps "-lpthread")
  elseif(CMAKE_THREAD_LIBS_INIT)
    set(_irpsim_pc_deps "${CMAKE_THREAD_LIBS_INIT}")
  endif()
endif()
if(IRPSIM_BUILD_SHARED)
  set(IRPSIM_PC_LIBS "")
  set(IRPSIM_PC_LIBS_PRIVATE "${_irpsim_pc_deps}")
else()
  set(IRPSIM_PC_LIBS "${_irpsim_pc_deps}")
  set(IRPSIM_PC_LIBS_PRIVATE "")
endif()
set(IRPSIM_PC_CFLAGS "")
if(MINGW)
  set(IRPSIM_PC_CFLAGS "-D__USE_MINGW_ANSI_STDIO=1")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/irpsim.pc.in ${PROJECT_BINARY_DIR}/irpsim.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/irpsim.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(TARGET irpsim_win32)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/irpsim-win32.pc.in ${PROJECT_BINARY_DIR}/irpsim-win32.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/irpsim-win32.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
