// SPDX-License-Identifier: Apache-2.0
// Compiles the tests' precompiled header once (see tests/CMakeLists.txt).
