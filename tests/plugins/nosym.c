// SPDX-License-Identifier: Apache-2.0
/* A loadable shared object that is not a vAccel plugin: it exports a
 * symbol, but not the descriptor. */
__attribute__((visibility("default"))) int not_a_vaccel_plugin = 1;
