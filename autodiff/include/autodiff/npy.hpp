// One Var in a NumPy .npy file, through tapeflow::io's .npy code (the format of the entries of
// nn's .npz files): numpy.load reads what save_npy writes, load_npy reads what numpy.save writes
// (C or Fortran order, format 1.0 to 3.0).
//
//   ad::save_npy("w.npy", W);                  // '<f4' for float, '<f8' for double
//   ad::Var<double> x = ad::load_npy<double>("x.npy");
//
// save_npy replaces the file atomically (tapeflow::files::AtomicFile): a reader sees the old
// file or the complete new one, never a part. load_npy reads a regular file only, returns a leaf
// that does not require grad, and converts no dtype: a file of another dtype is an error.
#pragma once

#include <string>

#include "autodiff/var.hpp"

namespace ad {

// A file that cannot be read or written, is malformed, or holds another dtype. The message names
// the op, the file and, for a dtype mismatch, both dtypes.
class FileError : public Error {
 public:
  using Error::Error;
};

template <class T>
void save_npy(const std::string& path, const Var<T>& x);
template <class T>
Var<T> load_npy(const std::string& path);

}  // namespace ad
