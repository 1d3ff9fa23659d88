# SPDX-License-Identifier: Apache-2.0
# Builds and runs a consumer project of Reel (see CMakeLists.txt beside this file).
#   -DMODE=find_package|add_subdirectory -DCONSUMER_SOURCE=<dir> -DWORK_DIR=<dir>
#   -DREEL_SOURCE_DIR -DREEL_BUILD_DIR -DGENERATOR -DCXX -DBUILD_TYPE
#   [-Dfmt_DIR -Dnlohmann_json_DIR -Dsimdjson_DIR]

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${step} failed (${rc}):\n${ARGN}\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

set(configure_args -S ${CONSUMER_SOURCE} -B ${WORK_DIR}/build -G ${GENERATOR}
                   -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
# The consumers are built to be run once, never debugged: without debug information the
# add_subdirectory consumer (all of reel::json compiled from source) takes about 30 % less CPU.
if(BUILD_TYPE STREQUAL "Debug")
  list(APPEND configure_args -DCMAKE_CXX_FLAGS_DEBUG=-g0)
endif()
foreach(dep IN ITEMS fmt_DIR nlohmann_json_DIR simdjson_DIR)
  if(${dep})
    list(APPEND configure_args -D${dep}=${${dep}})
  endif()
endforeach()

if(MODE STREQUAL "find_package")
  run("installing Reel" ${CMAKE_COMMAND} --install ${REEL_BUILD_DIR} --prefix ${WORK_DIR}/prefix)
  foreach(expected IN ITEMS include/reel/reel.hpp include/reel/json/stream_processor.hpp)
    if(NOT EXISTS ${WORK_DIR}/prefix/${expected})
      message(FATAL_ERROR "the install lacks ${expected}")
    endif()
  endforeach()
  list(APPEND configure_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
elseif(MODE STREQUAL "add_subdirectory")
  list(APPEND configure_args -DREEL_SOURCE_DIR=${REEL_SOURCE_DIR})
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()

run("configuring the consumer" ${CMAKE_COMMAND} ${configure_args})
run("building the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
file(GLOB app ${WORK_DIR}/build/app ${WORK_DIR}/build/app.exe ${WORK_DIR}/build/*/app.exe)
if(NOT app)
  message(FATAL_ERROR "the consumer's executable was not built")
endif()
list(GET app 0 app)
run("running the consumer" ${app})
if(NOT last_output MATCHES "\\[0, 60000\\) AAPL sum=30 count=2" OR
   NOT last_output MATCHES "json {\"_id\":\"AAPL\",\"sum\":30}")
  message(FATAL_ERROR "unexpected consumer output:\n${last_output}")
endif()
message(STATUS "consumer (${MODE}) ran:\n${last_output}")
