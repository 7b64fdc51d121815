# tapeflow_warnings(target): the warning set every target of this project compiles with.
function(tapeflow_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
endfunction()
