// IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
//
//   byte 0-1   0x00 0x00
//   byte 2     element type: 0x08 unsigned byte (the only one supported; MNIST and Fashion-MNIST
//              use nothing else), 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32,
//              0x0E float64
//   byte 3     number of dimensions, 1 to 4
//   then       one big-endian uint32 per dimension
//   then       the elements, row-major, exactly as many as the dimensions' product
//
// Files may be gzip-compressed (detected by the gzip magic 1f 8b, whatever the name; several
// concatenated gzip members are one stream). Anything malformed throws datasets::FormatError
// naming the file, the byte offset (for a gzip file: of the compressed file for gzip problems,
// "of the decompressed data" for IDX problems) and the problem; a missing file throws
// datasets::MissingDataError naming the file and the fetch command.
//
//   auto mnist = datasets::load_mnist();                 // <data_dir()>/mnist
//   mnist.train_images.shape();                          // {60000, 28, 28}, values in [0, 1]
//   mnist.train_labels(0);                               // 5.0f
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "datasets/errors.hpp"

namespace datasets {

// One IDX array: its dimensions and its elements' raw bytes.
struct IdxArray {
  std::uint8_t type_code = 0x08;    // always 0x08 (unsigned byte) when read
  std::vector<std::size_t> dims;    // 1 to 4 entries
  std::vector<std::uint8_t> data;   // product(dims) bytes, row-major
};

// Parses an IDX file's bytes, plain or gzip; `name` is what error messages call the input.
IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name);

// Reads and parses the file at `path`.
IdxArray read_idx(const std::string& path);

// Writes `array` (type 0x08, 1 to 4 dims, data.size() == product(dims)) as IDX, gzip-compressed
// when `gzip`; throws std::invalid_argument for an inconsistent array, std::runtime_error naming
// the file on I/O failure.
void write_idx(const std::string& path, const IdxArray& array, bool gzip = false);

// An IDX file of images: 3 dims (n, rows, cols) -> shape (n, rows, cols), each byte / 255 when
// `scale_to_unit`, else the byte's value 0..255. Another number of dims is a FormatError.
xt::xarray<float> load_idx_images(const std::string& path, bool scale_to_unit = true);

// An IDX file of labels: 1 dim (n) -> shape (n), each byte's value.
xt::xarray<float> load_idx_labels(const std::string& path);

struct ImageDataset {
  xt::xarray<float> train_images;  // (n_train, rows, cols), in [0, 1] when scaled
  xt::xarray<float> train_labels;  // (n_train), class numbers 0..9
  xt::xarray<float> test_images;   // (n_test, rows, cols)
  xt::xarray<float> test_labels;   // (n_test)
};

// Reads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte from `dir`, each plain or with .gz appended (the plain file wins when
// both exist). Checks that each images file has as many images as its labels file has labels,
// that every label is below 10 and that train and test images have the same rows and cols; all
// FormatErrors. An empty `dir` means data_dir() + "/mnist" (resp. "/fashion-mnist").
ImageDataset load_mnist(const std::string& dir = "", bool scale_to_unit = true);
ImageDataset load_fashion_mnist(const std::string& dir = "", bool scale_to_unit = true);

}  // namespace datasets
