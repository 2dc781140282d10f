# Run by cpack after it has installed the project into its staging
# directory and before it builds the package (CPACK_PRE_BUILD_SCRIPTS):
#   - compresses the man pages (gzip -9n, as Debian policy wants them; man
#     reads them either way);
#   - strips the .comment and .note sections from the programs, which
#     CPack's plain strip leaves (lintian: binary-has-unneeded-section), as
#     dh_strip does.
set(stage "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")

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
