# Run by cpack after it has installed the project into its staging
# directory and before it builds the package (CPACK_PRE_BUILD_SCRIPTS).
# Makes of the staging tree what Debian's tools (dh_compress, dh_strip,
# dh_installchangelogs, dh_installdocs) would:
#   - compresses the man pages (gzip -9n, as Debian policy wants them; man
#     reads them either way);
#   - strips the .comment and .note sections from the programs, which
#     CPack's plain strip leaves (lintian: binary-has-unneeded-section);
#   - adds /usr/share/doc/superd/copyright, the machine-readable (DEP-5)
#     form of LICENSE, and /usr/share/doc/superd/changelog.Debian.gz from
#     packaging/debian/changelog, whose first entry must be this package's
#     version.
# Only the .deb gets these; `cmake --install` installs none of them.
set(stage "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
set(source "${CPACK_SUPERD_SOURCE_DIR}")

file(GLOB_RECURSE superd_pages "${stage}/*/share/man/man[1-9]/*.[1-9]")
foreach(page IN LISTS superd_pages)
  execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "gzip -9nf ${page}: ${result}")
  endif()
endforeach()

# What dh_strip does to an executable after CPack's strip.
find_program(superd_strip NAMES strip)
file(GLOB_RECURSE superd_files LIST_DIRECTORIES false "${stage}/usr/*")
foreach(path IN LISTS superd_files)
  if(IS_SYMLINK "${path}")
    continue()
  endif()
  file(READ "${path}" magic LIMIT 4 HEX)
  if(magic STREQUAL "7f454c46" AND superd_strip)
    execute_process(COMMAND "${superd_strip}" --remove-section=.comment
                            --remove-section=.note "${path}"
                    RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "strip --remove-section=.comment ${path}: ${result}")
    endif()
  endif()
endforeach()

set(docdir "${stage}/usr/share/doc/${CPACK_PACKAGE_NAME}")
file(MAKE_DIRECTORY "${docdir}")
file(CHMOD "${stage}/usr/share/doc" "${docdir}" PERMISSIONS
     OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
     WORLD_READ WORLD_EXECUTE)

# copyright: the DEP-5 header of packaging/debian/copyright.in, with the
# holder and the text of the licence taken from LICENSE (one source for
# both): the line "Copyright (c) HOLDER", then the licence's paragraphs,
# each line indented by one space, an empty line written " .".
file(STRINGS "${source}/LICENSE" license_lines)
set(SUPERD_COPYRIGHT "")
set(SUPERD_LICENSE_TEXT "")
set(in_text FALSE)
foreach(line IN LISTS license_lines)
  if(NOT in_text)
    if(line MATCHES "^Copyright \\(c\\) (.+)$")
      set(SUPERD_COPYRIGHT "${CMAKE_MATCH_1}")
      set(in_text TRUE)
    endif()
    continue()
  endif()
  if(line STREQUAL "")
    if(NOT SUPERD_LICENSE_TEXT STREQUAL "")
      string(APPEND SUPERD_LICENSE_TEXT " .\n")
    endif()
  else()
    string(APPEND SUPERD_LICENSE_TEXT " ${line}\n")
  endif()
endforeach()
string(REGEX REPLACE "\n$" "" SUPERD_LICENSE_TEXT "${SUPERD_LICENSE_TEXT}")
if(SUPERD_COPYRIGHT STREQUAL "" OR SUPERD_LICENSE_TEXT STREQUAL "")
  message(FATAL_ERROR "${source}/LICENSE: no line 'Copyright (c) HOLDER' followed by the licence")
endif()
set(SUPERD_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
configure_file("${source}/packaging/debian/copyright.in" "${docdir}/copyright" @ONLY)

# changelog.Debian.gz: its first entry names the version of this package.
set(version "${CPACK_PACKAGE_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
file(STRINGS "${source}/packaging/debian/changelog" first LIMIT_COUNT 1)
if(NOT first MATCHES "^${CPACK_PACKAGE_NAME} \\(([^)]+)\\) ")
  message(FATAL_ERROR "packaging/debian/changelog: the first line is not 'superd (VERSION) DIST; urgency=U'")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL version)
  message(FATAL_ERROR "packaging/debian/changelog: its first entry is for ${CMAKE_MATCH_1}, "
                      "the package is ${version}: add an entry for ${version} (dch -v ${version})")
endif()
execute_process(COMMAND gzip -9nc "${source}/packaging/debian/changelog"
                OUTPUT_FILE "${docdir}/changelog.Debian.gz" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "gzip -9nc packaging/debian/changelog: ${result}")
endif()
file(CHMOD "${docdir}/copyright" "${docdir}/changelog.Debian.gz"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
