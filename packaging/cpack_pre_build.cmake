# Run by cpack after it has installed the project into its staging
# directory and before it builds the package (CPACK_PRE_BUILD_SCRIPTS):
# compresses the man pages (gzip -9n, as Debian policy wants them; man
# reads them either way).
file(GLOB_RECURSE superd_pages
     "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/share/man/man[1-9]/*.[1-9]")
foreach(page IN LISTS superd_pages)
  execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "gzip -9nf ${page}: ${result}")
  endif()
endforeach()
