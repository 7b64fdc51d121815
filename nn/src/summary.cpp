// Sequential::summary: the Keras-style table of layers, output shapes and parameter counts.
#include "nn/sequential.hpp"

#include <iomanip>
#include <sstream>

#include "batch_shape.hpp"

namespace nn {

namespace {

std::string with_commas(std::size_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

}  // namespace

template <class T>
std::string Sequential<T>::summary() const {
  std::ostringstream s;
  const std::string rule(65, '_'), double_rule(65, '=');
  s << "Model: \"" << this->name() << "\"\n" << rule << "\n";
  auto row = [&](const std::string& a, const std::string& b, const std::string& c) {
    // As Keras does, a name longer than its column ("max_pooling2d (MaxPooling2D)") goes on in
    // 27-character pieces on further lines.
    constexpr std::size_t name_width = 27;
    s << " " << std::left << std::setw(28) << a.substr(0, name_width) << std::setw(26) << b << std::right
      << std::setw(10) << c << "\n";
    for (std::size_t at = name_width; at < a.size(); at += name_width) s << " " << a.substr(at, name_width) << "\n";
  };
  row("Layer (type)", "Output Shape", "Param #");
  s << double_rule << "\n";
  ad::Shape shape = input_shape_;
  std::size_t total = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const auto& l = layers_[i];
    std::string out = "?";
    if (built_) {
      shape = l->output_shape(shape);
      out = detail::batch_shape_str(shape);
    }
    const std::size_t count = l->parameter_count();
    total += count;
    row(l->name() + " (" + l->type() + ")", out, with_commas(count));
    if (i + 1 < layers_.size()) s << "\n";
  }
  s << double_rule << "\n";
  s << "Total params: " << with_commas(total) << "\n";
  s << "Trainable params: " << with_commas(total) << "\n";
  s << "Non-trainable params: 0\n" << rule << "\n";
  if (!built_) s << "(not built yet: output shapes and parameters appear once the input shape is known)\n";
  return s.str();
}

template std::string Sequential<float>::summary() const;
template std::string Sequential<double>::summary() const;

}  // namespace nn
