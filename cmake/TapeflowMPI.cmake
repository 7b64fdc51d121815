# TAPEFLOW_MPI (AUTO, ON, OFF) -> TAPEFLOW_HAS_MPI: whether nn/ builds tapeflow::mpi. AUTO builds it
# when find_package(MPI) finds MPI for C++ (the C API; no C++ bindings), ON stops with an error
# when it does not, OFF never looks. Found here, at the top, so that MPI::MPI_CXX is visible to
# nn/, tests/ and examples/ alike.
string(TOUPPER "${TAPEFLOW_MPI}" tapeflow_mpi_mode)
if(NOT tapeflow_mpi_mode MATCHES "^(AUTO|ON|OFF|TRUE|FALSE|YES|NO|1|0)$")
  message(FATAL_ERROR "TAPEFLOW_MPI must be AUTO, ON or OFF, got '${TAPEFLOW_MPI}'")
endif()
set(TAPEFLOW_HAS_MPI OFF)
if(NOT tapeflow_mpi_mode MATCHES "^(OFF|FALSE|NO|0)$")
  set(MPI_CXX_SKIP_MPICXX ON)
  if(tapeflow_mpi_mode STREQUAL "AUTO")
    find_package(MPI COMPONENTS CXX QUIET)
  else()
    find_package(MPI COMPONENTS CXX)
    if(NOT MPI_CXX_FOUND)
      message(FATAL_ERROR "TAPEFLOW_MPI=${TAPEFLOW_MPI}, but CMake found no MPI for C++ (Debian: apt-get install "
                          "libopenmpi-dev openmpi-bin); configure with -DTAPEFLOW_MPI=AUTO or OFF to build without it")
    endif()
  endif()
  if(MPI_CXX_FOUND)
    set(TAPEFLOW_HAS_MPI ON)
    message(STATUS "tapeflow: building tapeflow::mpi (MPI ${MPI_CXX_VERSION}, ${MPIEXEC_EXECUTABLE})")
  else()
    message(STATUS "tapeflow: no MPI found; tapeflow::mpi is not built (TAPEFLOW_MPI=AUTO)")
  endif()
endif()
