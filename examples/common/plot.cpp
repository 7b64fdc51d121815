#include "plot.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include <gnuplot-iostream.h>

#include "tapeflow/io/files.hpp"

#include "distributed.hpp"

namespace plot {
namespace {

// A double-quoted gnuplot string (file names).
std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

// A double-quoted label that the enhanced-text terminal prints literally: "l1_prox" stays
// l1_prox instead of l1 with a subscript p.
std::string label(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      q += '\\';
    } else if (c == '_' || c == '^' || c == '@' || c == '&' || c == '~' || c == '{' || c == '}') {
      q += "\\\\";  // a backslash in the string, which makes enhanced text print c as is
    }
    q += c;
  }
  return q + "\"";
}

// A range bound for "set yrange": NaN leaves it to gnuplot.
std::string bound(double v) {
  if (std::isnan(v)) return "*";
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

// The p = level line of a grid of values (rows along y) by marching squares: one segment per
// cell that the level crosses (two for a saddle cell), each as two (x, y) points.
std::vector<std::array<double, 4>> level_segments(const std::vector<double>& gx, const std::vector<double>& gy,
                                                   const std::vector<double>& p, double level) {
  std::vector<std::array<double, 4>> segments;
  const std::size_t nx = gx.size();
  auto at = [&](std::size_t r, std::size_t c) { return p[r * nx + c] - level; };
  for (std::size_t r = 0; r + 1 < gy.size(); ++r) {
    for (std::size_t c = 0; c + 1 < nx; ++c) {
      // Corners counter-clockwise from bottom-left; an edge is crossed where the signs differ.
      const double v[4] = {at(r, c), at(r, c + 1), at(r + 1, c + 1), at(r + 1, c)};
      const double px[4] = {gx[c], gx[c + 1], gx[c + 1], gx[c]};
      const double py[4] = {gy[r], gy[r], gy[r + 1], gy[r + 1]};
      std::vector<std::pair<double, double>> hits;
      for (int e = 0; e < 4; ++e) {
        const int f = (e + 1) % 4;
        if ((v[e] < 0) != (v[f] < 0)) {
          const double t = v[e] / (v[e] - v[f]);
          hits.emplace_back(px[e] + t * (px[f] - px[e]), py[e] + t * (py[f] - py[e]));
        }
      }
      for (std::size_t h = 0; h + 1 < hits.size(); h += 2) {
        segments.push_back({hits[h].first, hits[h].second, hits[h + 1].first, hits[h + 1].second});
      }
    }
  }
  return segments;
}

// Runs gnuplot with the commands from `draw`, writing into a temporary PNG
// (tapeflow::files::AtomicFile) that replaces `path` only when gnuplot finished without error.
template <class Draw>
void render(const std::string& path, int width, int height, Draw draw) {
  if (!experiment::is_root()) return;  // under mpirun, rank 0 plots
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  tapeflow::files::AtomicFile out(path, "plot");
  {
    Gnuplot gp("gnuplot");
    gp << "set terminal pngcairo size " << width << "," << height << " enhanced font 'DejaVu Sans,11'\n";
    gp << "set output " << quoted(out.path_for_other_process()) << "\n";
    gp << "set grid lc rgb '#dddddd'\nset key outside right top\nset border lw 1.2\n";
    draw(gp);
    gp << "unset output\n";
  }  // the destructor waits for gnuplot to exit
  if (out.size() == 0) {
    throw std::runtime_error("plot: gnuplot did not produce " + path + " (is gnuplot with pngcairo installed?)");
  }
  out.commit();
}

}  // namespace

void save_png(const Figure& f, const std::string& path) {
  render(path, f.width, f.height, [&](Gnuplot& gp) {
    gp << "set title " << label(f.title) << " font ',14'\n";
    gp << "set xlabel " << label(f.xlabel) << "\nset ylabel " << label(f.ylabel) << "\n";
    if (f.logx) gp << "set logscale x\nset format x '%g'\n";
    if (f.logy) gp << "set logscale y\nset format y '%g'\n";
    if (!std::isnan(f.ymin) || !std::isnan(f.ymax)) {
      gp << "set yrange [" << bound(f.ymin) << ":" << bound(f.ymax) << "]\n";
    }
    if (!std::isnan(f.boxwidth)) gp << "set boxwidth " << bound(f.boxwidth) << " absolute\n";
    if (!f.xtics.empty()) {
      gp << "set xtics (";
      for (std::size_t i = 0; i < f.xtics.size(); ++i) {
        gp << (i ? ", " : "") << label(f.xtics[i].second) << " " << f.xtics[i].first;
      }
      gp << ")" << (f.xtics_rotate ? " rotate by 45 right" : "") << "\n";
    }
    gp << "plot ";
    for (std::size_t i = 0; i < f.series.size(); ++i) {
      gp << (i ? ", " : "") << "'-' with " << f.series[i].style << " lw 2 title " << label(f.series[i].title);
    }
    gp << "\n";
    for (const auto& s : f.series) {
      if (s.y_high.empty()) gp.send1d(std::make_pair(s.x, s.y));
      else gp.send1d(std::make_tuple(s.x, s.y, s.y_high));
    }
  });
}

void EpochCurves::add(const std::string& curve_title, const std::vector<double>& per_epoch,
                      const std::string& style) {
  Series s{.title = curve_title, .x = {}, .y = per_epoch, .style = style};
  for (std::size_t e = 0; e < per_epoch.size(); ++e) s.x.push_back(double(e + 1));
  curves.push_back(std::move(s));
}

void save_png(const EpochCurves& c, const std::string& path) {
  Figure f{.title = c.title, .xlabel = "epoch", .ylabel = c.ylabel, .series = {}, .logy = c.logy,
           .width = c.width, .height = c.height, .ymin = c.ymin, .ymax = c.ymax};
  std::size_t epochs = 0;
  for (const auto& curve : c.curves) epochs = std::max(epochs, curve.x.size());
  if (epochs <= 20) {  // a tic at every epoch, not at 1.5, 2.5, ...
    for (std::size_t e = 1; e <= epochs; ++e) f.xtics.emplace_back(double(e), std::to_string(e));
  }
  if (c.smooth <= 1) {
    f.series = c.curves;
  } else {
    // gnuplot's default line colours; the leading byte is the transparency (00 opaque).
    static const std::array<const char*, 8> colours = {"9400d3", "009e73", "56b4e9", "e69f00",
                                                       "f0e442", "0072b2", "e51e10", "000000"};
    f.ylabel += " (bold: mean over " + std::to_string(c.smooth) + " epochs; faint: each epoch)";
    for (std::size_t i = 0; i < c.curves.size(); ++i) {
      const std::string rgb = colours[i % colours.size()];
      const Series& raw = c.curves[i];
      f.series.push_back({.title = "", .x = raw.x, .y = raw.y, .style = "lines lc rgb '#d0" + rgb + "'"});
    }
    for (std::size_t i = 0; i < c.curves.size(); ++i) {
      const std::string rgb = colours[i % colours.size()];
      const Series& raw = c.curves[i];
      f.series.push_back({.title = raw.title, .x = raw.x, .y = moving_average(raw.y, c.smooth),
                          .style = "lines lc rgb '#00" + rgb + "'"});
    }
  }
  save_png(f, path);
}

std::vector<double> moving_average(const std::vector<double>& v, int window) {
  const auto n = static_cast<std::ptrdiff_t>(v.size()), half = std::ptrdiff_t{window / 2};
  std::vector<double> out;
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const std::ptrdiff_t lo = std::max<std::ptrdiff_t>(0, i - half), hi = std::min(n, i - half + window);
    double sum = 0;
    for (std::ptrdiff_t j = lo; j < hi; ++j) sum += v[std::size_t(j)];
    out.push_back(sum / double(hi - lo));
  }
  return out;
}

void save_png(const Histogram& h, const std::string& path) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& [name, values] : h.samples) {
    for (double v : values) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!(lo < hi)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double width = (hi - lo) / h.bins;
  render(path, h.width, h.height, [&](Gnuplot& gp) {
    gp << "set title " << label(h.title) << " font ',14'\n";
    gp << "set xlabel " << label(h.xlabel) << "\nset ylabel " << label(h.ylabel) << "\n";
    // Empty bins are drawn at 0.5, below the visible range, so they read as "none".
    if (h.logy) gp << "set logscale y\nset format y '%g'\nset yrange [0.8:*]\n";
    gp << "set key inside left top opaque box\n";  // long sample names would squeeze the plot
    gp << "plot ";
    for (std::size_t i = 0; i < h.samples.size(); ++i) {
      gp << (i ? ", " : "") << "'-' with steps lw 2 title " << label(h.samples[i].first);
    }
    gp << "\n";
    for (const auto& [name, values] : h.samples) {
      std::vector<double> counts(static_cast<std::size_t>(h.bins), 0.0);
      for (double v : values) {
        auto b = static_cast<std::size_t>(std::clamp((v - lo) / width, 0.0, double(h.bins - 1)));
        counts[b] += 1;
      }
      std::vector<std::pair<double, double>> steps;
      for (int b = 0; b < h.bins; ++b) steps.emplace_back(lo + b * width, h.logy ? std::max(counts[b], 0.5) : counts[b]);
      steps.emplace_back(hi, steps.back().second);
      gp.send1d(steps);
    }
  });
}

void save_png(const DecisionRegions& d, const std::string& path) {
  if (d.probability.size() != d.grid_x.size() * d.grid_y.size()) {
    throw std::invalid_argument("plot: decision-region grid has " + std::to_string(d.probability.size()) +
                                " values for a " + std::to_string(d.grid_y.size()) + " x " +
                                std::to_string(d.grid_x.size()) + " grid");
  }
  render(path, d.width, d.height, [&](Gnuplot& gp) {
    gp << "set title " << label(d.title) << " font ',14'\n";
    gp << "set xlabel " << label(d.xlabel) << "\nset ylabel " << label(d.ylabel) << "\n";
    gp << "set xrange [" << d.grid_x.front() << ":" << d.grid_x.back() << "]\n";
    gp << "set yrange [" << d.grid_y.front() << ":" << d.grid_y.back() << "]\n";
    gp << "set cbrange [0:1]\nset cblabel 'P(class 1)'\n";
    gp << "set palette defined (0 '#3b6fb6', 0.5 '#f7f7f7', 1 '#d0533f')\n";
    gp << "set key outside right top\nunset grid\n";
    gp << "plot '-' with image notitle, "
          "'-' with points pt 7 ps 1.1 lc rgb '#1f3f7a' title 'class 0', "
          "'-' with points pt 5 ps 1.1 lc rgb '#8a1c0c' title 'class 1', "
          "'-' with lines lw 2 lc rgb 'black' title 'P = 0.5'\n";
    std::vector<std::tuple<double, double, double>> cells;
    for (std::size_t r = 0; r < d.grid_y.size(); ++r) {
      for (std::size_t c = 0; c < d.grid_x.size(); ++c) cells.emplace_back(d.grid_x[c], d.grid_y[r], d.probability[r * d.grid_x.size() + c]);
    }
    gp.send1d(cells);
    std::vector<std::pair<double, double>> zeros, ones;
    for (std::size_t i = 0; i < d.point_x.size(); ++i) (d.point_label[i] > 0.5 ? ones : zeros).emplace_back(d.point_x[i], d.point_y[i]);
    gp.send1d(zeros);
    gp.send1d(ones);
    // The boundary: segments separated by blank lines, so gnuplot does not join them.
    const auto segments = level_segments(d.grid_x, d.grid_y, d.probability, 0.5);
    for (const auto& s : segments) gp << s[0] << " " << s[1] << "\n" << s[2] << " " << s[3] << "\n\n";
    if (segments.empty()) gp << "NaN NaN\n";  // an empty block would end the data early
    gp << "e\n";
  });
}

}  // namespace plot
