# Warnings are errors for irpsim's own code, on GCC and Clang.
function(irpsim_set_warnings target)
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes
      $<$<COMPILE_LANGUAGE:C>:-Wmissing-prototypes>)
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /WX)
  endif()
endfunction()
