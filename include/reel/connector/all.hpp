// SPDX-License-Identifier: Apache-2.0
/// \file
/// Every built-in connector: the source and sink interfaces, the connection registry, in-memory
/// and callback connectors, NDJSON streams and files, standard streams, the sample sources and
/// `default_connections()`. (`reel/reel.hpp` includes none of them.)
#pragma once

#include "reel/connector/defaults.hpp"
#include "reel/connector/file.hpp"
#include "reel/connector/memory.hpp"
#include "reel/connector/ndjson.hpp"
#include "reel/connector/registry.hpp"
#include "reel/connector/sample_source.hpp"
#include "reel/connector/samples.hpp"
#include "reel/connector/sink.hpp"
#include "reel/connector/source.hpp"
#include "reel/connector/stdio.hpp"
