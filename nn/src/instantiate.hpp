// Explicit instantiation of an nn class template for both element types, float and double.
#pragma once

#define NN_INSTANTIATE_FLOAT_DOUBLE(C) \
  template class C<float>;             \
  template class C<double>;
