# Runs one bad command line of an example program (bad_command_line() in CMakeLists.txt registers
# them) and fails unless the program refused it before doing any work: a non-zero exit code,
# nothing on stdout (the reports, the progress table and the benchmark's config line all come
# later), and exactly one line on stderr, "<program>: " followed by a match of EXPECT.
#
#   cmake -DPROGRAM=path -DEXPECT=regex -DARGC=n -DARG0=... -DARG<n-1>=... -P bad_command_line.cmake
#
# The arguments come one by one so that an empty one (--out "") survives.
get_filename_component(program "${PROGRAM}" NAME)
set(command "[==[${PROGRAM}]==]")
set(shown "${program}")
math(EXPR last "${ARGC} - 1")
foreach(i RANGE ${last})
  string(APPEND command " [==[${ARG${i}}]==]")
  string(APPEND shown " '${ARG${i}}'")
endforeach()
cmake_language(EVAL CODE "execute_process(COMMAND ${command} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 20)")

string(REGEX MATCHALL "\n" newlines "${err}")
list(LENGTH newlines lines)
set(problems "")
if(NOT rc MATCHES "^[1-9][0-9]*$")
  string(APPEND problems "\n  exit status '${rc}' (wanted a non-zero exit code)")
endif()
if(NOT out STREQUAL "")
  string(APPEND problems "\n  it wrote to stdout, so it went on working:\n${out}")
endif()
if(NOT lines EQUAL 1 OR NOT err MATCHES "^${program}: ${EXPECT}[^\n]*\n$")
  string(APPEND problems "\n  stderr is not the one line '${program}: ${EXPECT}':\n${err}")
endif()
if(problems)
  message(FATAL_ERROR "${shown}${problems}")
endif()
message(STATUS "${shown}: ${err}")
