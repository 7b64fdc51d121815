// Sequential::evaluate and predict: batched passes in evaluation mode, without recording.
#include "nn/sequential.hpp"

#include <numeric>

#include "collective.hpp"
#include "gather.hpp"

namespace nn {

using detail::gather;

// Distributed: each rank takes its slice of every batch (as fit does), and the sums are added
// over the ranks; the kernel/bias penalties are counted on rank 0 only.
template <class T>
Logs Sequential<T>::evaluate_rows(const xt::xarray<T>& x, const xt::xarray<T>& y, std::size_t begin,
                                  std::size_t end, std::size_t batch_size) {
  const bool was_training = this->training();
  this->eval();
  ad::NoGradGuard no_grad;
  std::vector<std::unique_ptr<Metric<T>>> metrics;
  for (const auto& m : metric_names_) metrics.push_back(make_metric<T>(m));
  double data_sum = 0, penalty_sum = 0;
  std::size_t rows_done = 0;
  std::vector<std::size_t> rows(end - begin);
  std::iota(rows.begin(), rows.end(), begin);
  for (std::size_t s = 0; s < rows.size(); s += batch_size) {
    const std::size_t count = std::min(batch_size, rows.size() - s);
    const detail::RowSlice slice = detail::rank_slice(s, count, comm_.get());
    const std::size_t bs = slice.size();
    if (comm_ && comm_->rank() == 0) penalty_sum += double(penalty_terms(true, false).item()) * double(count);
    if (bs == 0) continue;
    const ad::Var<T> xb(gather(x, rows.data() + slice.begin, bs)), yb(gather(y, rows.data() + slice.begin, bs));
    const ad::Var<T> pred = forward(xb);
    data_sum += double(loss_(yb, pred).item()) * double(bs);
    penalty_sum += double((comm_ ? penalty_terms(false, true) : penalty()).item()) * double(bs);
    rows_done += bs;
    for (auto& m : metrics) m->update(yb.value(), pred.value());
  }
  this->train(was_training);
  return detail::reduced_logs(comm_.get(), data_sum, penalty_sum, rows_done, metrics);
}

template <class T>
Logs Sequential<T>::evaluate(const xt::xarray<T>& x, const xt::xarray<T>& y, std::size_t batch_size) {
  if (!compiled()) throw std::logic_error("Sequential::evaluate: compile() the model first");
  if (x.dimension() == 0 || y.dimension() == 0 || x.shape()[0] != y.shape()[0] || x.shape()[0] == 0 || batch_size == 0) {
    throw ad::ShapeError("Sequential::evaluate: x " + ad::shape_str(x.shape()) + " and y " + ad::shape_str(y.shape()) +
                         " need the same positive number of rows, and batch_size > 0");
  }
  return evaluate_rows(x, y, 0, x.shape()[0], batch_size);
}

template <class T>
xt::xarray<T> Sequential<T>::predict(const xt::xarray<T>& x, std::size_t batch_size) {
  if (x.dimension() == 0 || batch_size == 0) throw ad::ShapeError("Sequential::predict: x needs a batch axis and batch_size > 0");
  const bool was_training = this->training();
  this->eval();
  ad::NoGradGuard no_grad;
  const std::size_t n = x.shape()[0];
  xt::xarray<T> out;
  std::vector<std::size_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  for (std::size_t s = 0; s < n; s += batch_size) {
    const std::size_t bs = std::min(batch_size, n - s);
    const xt::xarray<T> p = forward(ad::Var<T>(gather(x, rows.data() + s, bs))).value();
    if (s == 0) {
      auto shape = p.shape();
      shape[0] = n;
      out = xt::xarray<T>::from_shape(shape);
    }
    std::copy(p.begin(), p.end(), out.data() + s * (p.size() / bs));
  }
  this->train(was_training);
  return out;
}

template Logs Sequential<float>::evaluate_rows(const xt::xarray<float>& x, const xt::xarray<float>& y, std::size_t begin, std::size_t end, std::size_t batch_size);
template Logs Sequential<float>::evaluate(const xt::xarray<float>& x, const xt::xarray<float>& y, std::size_t batch_size);
template xt::xarray<float> Sequential<float>::predict(const xt::xarray<float>& x, std::size_t batch_size);
template Logs Sequential<double>::evaluate_rows(const xt::xarray<double>& x, const xt::xarray<double>& y, std::size_t begin, std::size_t end, std::size_t batch_size);
template Logs Sequential<double>::evaluate(const xt::xarray<double>& x, const xt::xarray<double>& y, std::size_t batch_size);
template xt::xarray<double> Sequential<double>::predict(const xt::xarray<double>& x, std::size_t batch_size);

}  // namespace nn
