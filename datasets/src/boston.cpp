#include "datasets/boston.hpp"

#include <algorithm>

#include "datasets/paths.hpp"

namespace datasets {

const std::vector<std::string>& boston_columns() {
  static const std::vector<std::string> names{"crim", "zn",  "indus",   "chas", "nox",   "rm",  "age",
                                              "dis",  "rad", "tax",     "ptratio", "b", "lstat", "medv"};
  return names;
}

BostonData load_boston(const std::string& path) {
  const std::string file = path.empty() ? data_dir() + "/boston/data.csv" : path;
  const Table table = read_csv(file);
  const auto& want = boston_columns();
  const auto list = [](const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) {
      if (!s.empty()) s += ',';
      s += detail::printable(n);
    }
    return s;
  };
  std::vector<std::string> have = table.columns;
  std::vector<std::string> sorted_want = want;
  std::sort(have.begin(), have.end());
  std::sort(sorted_want.begin(), sorted_want.end());
  if (have != sorted_want) {
    throw FormatError("load_boston: '" + file + "': line 1: the columns are " + list(table.columns) +
                      " but the Boston housing file has " + list(want));
  }
  if (table.rows() == 0) throw FormatError("load_boston: '" + file + "': line 2: no data rows after the header");
  BostonData out;
  out.target_name = "medv";
  auto [x, y] = features_and_target(table, out.target_name);
  out.features = std::move(x);
  out.target = std::move(y);
  for (const auto& c : table.columns) {
    if (c != out.target_name) out.feature_names.push_back(c);
  }
  return out;
}

}  // namespace datasets
