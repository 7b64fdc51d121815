# cmake -DMPIEXEC=mpirun -DNUMPROC_FLAG=-np -DPROGRAM=throwing_rank -DMODE=wrapped -P expect_abort.cmake
# Runs PROGRAM MODE on 2 ranks; passes when the job ends within the time limit with a non-zero
# exit code and stderr has rank 1's message as nn::mpi prints it.
execute_process(COMMAND ${MPIEXEC} ${NUMPROC_FLAG} 2 --oversubscribe ${PROGRAM} ${MODE}
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 45)
message("exit: ${code}\nstdout:\n${out}\nstderr:\n${err}")
if(code STREQUAL "0" OR code MATCHES "timeout|Process terminated due to timeout")
  message(FATAL_ERROR "expected a non-zero exit code within 45 s, got '${code}'")
endif()
if(NOT err MATCHES "tapeflow: rank 1 of 2: [^\n]*rank 1 fails on purpose after epoch 1")
  message(FATAL_ERROR "stderr lacks 'tapeflow: rank 1 of 2: ... rank 1 fails on purpose after epoch 1'")
endif()
