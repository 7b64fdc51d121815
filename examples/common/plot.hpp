// PNG plots for the examples, drawn by gnuplot (pngcairo) through gnuplot-iostream. Files are
// written atomically: gnuplot draws into a temporary file (tapeflow::files::AtomicFile) that is
// renamed over the target when complete.
//
//   plot::Figure f{.title = "Loss", .xlabel = "epoch", .ylabel = "loss"};
//   f.series.push_back({.title = "train", .x = epochs, .y = losses});
//   plot::save_png(f, "out/loss.png");
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace plot {

struct Series {
  std::string title;
  std::vector<double> x, y;
  std::string style = "lines";  // gnuplot style: lines, points, linespoints, ...
  std::vector<double> y_high{};  // for "filledcurves": a band between y (low) and y_high at each x
};

struct Figure {
  std::string title, xlabel, ylabel;
  std::vector<Series> series;
  bool logx = false, logy = false;
  int width = 960, height = 600;
  double ymin = NAN, ymax = NAN;                        // y range; NaN: automatic
  std::vector<std::pair<double, std::string>> xtics{};  // labelled x tics; empty: automatic
  bool xtics_rotate = false;                            // tilt the x tic labels by 45 degrees
  double boxwidth = NAN;                                // width of "boxes" series in x units; NaN: gnuplot's
};

void save_png(const Figure& figure, const std::string& path);

// Curves over training epochs (loss, val_loss, accuracy, ... of one or more models): the value
// of epoch e (from 0) is drawn at x = e + 1.
//
//   plot::EpochCurves f{.title = "Validation loss", .ylabel = "loss"};
//   f.add("none", history["val_loss"]);
//   plot::save_png(f, "out/val_loss.png");
struct EpochCurves {
  std::string title, ylabel;
  std::vector<Series> curves{};
  bool logy = false;
  int width = 960, height = 600;
  double ymin = NAN, ymax = NAN;  // y range; NaN: automatic
  // > 1: for long noisy runs, each curve is drawn faintly as it is and boldly as its centred
  // moving average over this many epochs, in one colour per curve (a style's colour is replaced).
  int smooth = 1;

  void add(const std::string& title, const std::vector<double>& per_epoch, const std::string& style = "lines");
};
void save_png(const EpochCurves& curves, const std::string& path);

// The centred moving average of `v` over `window` values (fewer at the ends).
std::vector<double> moving_average(const std::vector<double>& v, int window);

// Overlaid histograms (drawn as steps) of several samples on shared bins.
struct Histogram {
  std::string title, xlabel, ylabel = "count";
  std::vector<std::pair<std::string, std::vector<double>>> samples;
  int bins = 60;
  bool logy = false;
  int width = 960, height = 600;
};
void save_png(const Histogram& histogram, const std::string& path);

// A classifier's probability over a grid as a heat map (0..1), its 0.5 contour (black line), and labelled
// points on top.
struct DecisionRegions {
  std::string title, xlabel = "x0", ylabel = "x1";
  std::vector<double> grid_x, grid_y;     // ascending
  std::vector<double> probability;        // grid_y.size() rows of grid_x.size() values
  std::vector<double> point_x, point_y, point_label;  // labels 0 or 1
  int width = 800, height = 700;
};
void save_png(const DecisionRegions& regions, const std::string& path);


}  // namespace plot
