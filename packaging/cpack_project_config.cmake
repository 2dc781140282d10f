# Read by cpack when it runs (CPACK_PROJECT_CONFIG_FILE, set in the top-level
# CMakeLists.txt), once for each generator.
if(CPACK_GENERATOR STREQUAL "DEB")
  # Depends: from the libraries the binaries really link (dpkg-shlibdeps,
  # in dpkg-dev, which `make package` installs); without it, by hand, for
  # Debian 12.
  find_program(SUPERD_DPKG_SHLIBDEPS dpkg-shlibdeps)
  if(SUPERD_DPKG_SHLIBDEPS)
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  else()
    message(STATUS "superd: dpkg-shlibdeps (dpkg-dev) not found; Depends written by hand")
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
    set(CPACK_DEBIAN_PACKAGE_DEPENDS
        "libboost-program-options1.74.0 (>= 1.74.0), libc6 (>= 2.34), libgcc-s1 (>= 3.0), libstdc++6 (>= 12), libsystemd0, libyaml-cpp0.7 (>= 0.7.0)")
  endif()
endif()
