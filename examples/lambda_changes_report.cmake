# Checks that --lambda reaches the model (lambda_changes_report() in CMakeLists.txt registers it):
# `program args...` prints the same "final_loss" as `program args... --lambda DEFAULT` (the default
# is the value the program used before --lambda existed) and a different one with --lambda OTHER.
#
#   cmake -DPROGRAM=path -DDEFAULT=x -DOTHER=y -DARGS=a;b;... -P lambda_changes_report.cmake
function(final_loss out)
  execute_process(COMMAND ${PROGRAM} ${ARGS} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE report ERROR_VARIABLE err
                  TIMEOUT 60)
  if(NOT rc EQUAL 0 OR NOT report MATCHES "\"final_loss\":([^,}]+)")
    message(FATAL_ERROR "${PROGRAM} ${ARGS} ${ARGN}: exit status ${rc}, no final_loss in:\n${report}${err}")
  endif()
  set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

final_loss(implicit)
final_loss(explicit --lambda ${DEFAULT})
final_loss(other --lambda ${OTHER})
if(NOT implicit STREQUAL explicit)
  message(FATAL_ERROR "final_loss ${implicit} without --lambda, ${explicit} with --lambda ${DEFAULT} (the default)")
endif()
if(other STREQUAL implicit)
  message(FATAL_ERROR "final_loss ${other} with --lambda ${OTHER} is the default's: --lambda has no effect")
endif()
message(STATUS "final_loss ${implicit} (--lambda ${DEFAULT}), ${other} (--lambda ${OTHER})")
