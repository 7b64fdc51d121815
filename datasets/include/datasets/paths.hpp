// Where the downloaded data sets live, and how to get them.
//
// `cmake --build <build> --target fetch-data` (cmake/FetchData.cmake, datasets/fetch-data.sh)
// downloads MNIST, Fashion-MNIST and the Boston housing table into <build>/data:
//
//   <data>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte          (plain IDX)
//   <data>/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
//   <data>/boston/data.csv
//
//   std::string dir = datasets::data_dir(cli.data);   // --data, else $TAPEFLOW_DATA, else <build>/data
//   auto mnist = datasets::load_mnist(dir + "/mnist");
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tapeflow/io/errors.hpp"

namespace datasets {

// The data directory: `cli_value` when non-empty (a program's --data option), else the
// environment variable TAPEFLOW_DATA when set and non-empty, else default_data_dir().
std::string data_dir(const std::string& cli_value = "");

// The build tree's data directory, where `fetch-data` puts the files (fixed at configure time:
// the CMake cache variable TAPEFLOW_DATA_DIR, by default ${CMAKE_BINARY_DIR}/data).
std::string default_data_dir();

// "cmake --build <build dir> --target fetch-data", the command that downloads the data.
std::string fetch_command();

// What a MissingDataError message ends with: "run: <fetch_command()>   (or set TAPEFLOW_DATA)".
std::string fetch_hint();

namespace detail {

// The whole file (tapeflow::files::read_regular_file: a regular file only, read up to the size
// it has when opened). Throws MissingDataError "'<path>' not found; <fetch_hint()>" when the
// file does not exist, std::runtime_error "'<path>' is not a regular file (FIFO)" for a device,
// FIFO or directory, and naming the file and the system's reason on any other I/O failure.
// `who` prefixes the messages ("read_idx").
std::string read_whole_file(const std::string& path, std::string_view who);

// `text` quoted for an error message (see tapeflow/io/errors.hpp).
using tapeflow::io::printable;

}  // namespace detail
}  // namespace datasets
