// Sequential::sparsity: exact zeros and small weights per kernel, and their table.
#include "nn/sequential.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "check.hpp"

namespace nn {

std::string SparsityReport::to_string() const {
  std::ostringstream s;
  s << std::left << std::setw(28) << "weights" << std::right << std::setw(12) << "count" << std::setw(14)
    << "exact zeros" << std::setw(10) << "fraction" << std::setw(14) << ("|w| < " + [&] {
         std::ostringstream t;
         t << threshold;
         return t.str();
       }()) << std::setw(10) << "fraction" << "\n";
  auto line = [&](const Row& r) {
    s << std::left << std::setw(28) << r.name << std::right << std::setw(12) << r.count << std::setw(14)
      << r.exact_zeros << std::setw(10) << std::fixed << std::setprecision(4) << r.zero_fraction() << std::setw(14)
      << r.small << std::setw(10) << r.small_fraction() << "\n";
  };
  for (const auto& r : rows) line(r);
  line(total);
  return s.str();
}

template <class T>
SparsityReport Sequential<T>::sparsity(double threshold) const {
  detail::require_finite_nonnegative("Sequential::sparsity", "threshold", threshold);
  SparsityReport r;
  r.threshold = threshold;
  r.total.name = "total";
  for (const auto& p : this->parameters()) {
    if (p.name.size() < 7 || p.name.compare(p.name.size() - 7, 7, "/kernel") != 0) continue;
    SparsityReport::Row row;
    row.name = p.name;
    for (T w : p.var.value()) {
      ++row.count;
      row.exact_zeros += w == T(0);
      row.small += std::abs(double(w)) < threshold;
    }
    r.total.count += row.count;
    r.total.exact_zeros += row.exact_zeros;
    r.total.small += row.small;
    r.rows.push_back(row);
  }
  return r;
}

template SparsityReport Sequential<float>::sparsity(double threshold) const;
template SparsityReport Sequential<double>::sparsity(double threshold) const;

}  // namespace nn
