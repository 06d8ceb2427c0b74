# SPDX-License-Identifier: MIT
# pvisor top-level build.  `make` builds everything from the default
# configuration; each directory contributes a build.mk fragment.

BUILD      ?= build
CC         ?= gcc
Q          ?= @

# ---------------------------------------------------------------- config --
KCONFIG_CONF  ?= kconfig-conf
KCONFIG_MCONF ?= kconfig-mconf
AUTOCONF      := $(BUILD)/include/generated/autoconf.h

all: pvisor

.config: configs/defconfig Kconfig
	$(Q)cp configs/defconfig .config
	$(Q)$(KCONFIG_CONF) --olddefconfig Kconfig >/dev/null

defconfig:
	$(Q)cp configs/defconfig .config
	$(Q)$(KCONFIG_CONF) --olddefconfig Kconfig

menuconfig:
	$(KCONFIG_MCONF) Kconfig

$(AUTOCONF): .config scripts/gen-autoconf.sh
	$(Q)mkdir -p $(dir $@)
	$(Q)sh scripts/gen-autoconf.sh .config > $@.tmp && mv $@.tmp $@

# ------------------------------------------------------------ host flags --
WARN      := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
             -Wstrict-prototypes -Wmissing-prototypes -Wvla
INCLUDES  := -Iguest-abi/include -Ihypervisor/include -Itoolstack/include \
             -I$(BUILD)/include
CFLAGS    := -std=gnu11 -O2 -g -D_GNU_SOURCE -pthread $(WARN) $(INCLUDES) \
             -include $(AUTOCONF)
SANFLAGS  := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
LDLIBS    := -pthread -llz4 -lz -llzma -lzstd -lbz2

LIBPVISOR     := $(BUILD)/libpvisor.a
LIBPVISOR_SAN := $(BUILD)/libpvisor-san.a

# KVM tests run here, or in the nested VM without /dev/kvm (tests/vm).
WITH_KVM := sh scripts/with-kvm.sh
# Since XSA-466 Linux as PVH calls vmcall/vmmcall itself, not the
# hypercall page: only a host KVM with CONFIG_KVM_XEN hands those to us.
# Debian 12's 6.1 kernels lack it, its 6.12 ones have it: the nested VM
# boots this kernel for Linux-as-PVH tests and the bench.
KVM_XEN_VM := linux-image-6.12-amd64

# Fragments append to these.
HV_SRCS       :=    # the hypervisor library (core, arch, platform, loader)
TOOL_SRCS     :=    # pvctl (links the hypervisor library)
UNIT_TESTS    :=    # names of cmocka tests: tests/unit/<name>.c
CHECK_TARGETS :=    # phony targets `make check` runs, in order
BENCH_TARGETS :=    # phony targets `make bench` runs, in order
BENCH_DEPS    :=    # what they need built (on the host, before any VM)
GUEST_ELFS    :=    # self-test kernels

include guest-abi/build.mk
include hypervisor/build.mk
include toolstack/build.mk
include tests/build.mk
include bench/build.mk
include guests/linux.mk

HV_OBJS      := $(HV_SRCS:%.c=$(BUILD)/obj/%.o)
HV_SAN_OBJS  := $(HV_SRCS:%.c=$(BUILD)/san/%.o)

$(BUILD)/obj/%.o: %.c $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.S $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -MMD -MP -c $< -o $@

$(LIBPVISOR): $(HV_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBPVISOR_SAN): $(HV_SAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/obj/%.o)

$(BUILD)/pvctl: $(TOOL_OBJS) $(LIBPVISOR)
	$(Q)echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

pvisor: $(BUILD)/pvctl guests

# ------------------------------------------------------------- targets --
deps:
	sh scripts/install-deps.sh

demo: pvisor linux-guest linux-rootfs
	sh scripts/demo.sh

check: pvisor
	$(Q)BUILD=$(BUILD) sh scripts/run-checks.sh $(CHECK_TARGETS)

# The nested-KVM VM's kernel and initramfs (fetched and built once).
vm-image:
	$(Q)sh tests/vm/mkimage.sh $(BUILD)/vm

# Figures from this machine's KVM, or from the nested VM without one
# (there only exit counts mean anything: see the README).
bench: pvisor $(BENCH_DEPS)
	$(Q)VM_KERNEL=$(KVM_XEN_VM) $(WITH_KVM) --plain bench '$(MAKE) -s --no-print-directory bench-figures'

bench-figures: $(BENCH_TARGETS)

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -f .config .config.old

.PHONY: all pvisor deps demo check bench bench-figures clean distclean defconfig menuconfig vm-image \
        guests $(CHECK_TARGETS) $(BENCH_TARGETS)

-include $(shell find $(BUILD)/obj $(BUILD)/san $(BUILD)/guest $(BUILD)/tests -name '*.d' -type f 2>/dev/null)
