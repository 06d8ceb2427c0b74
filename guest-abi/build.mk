# SPDX-License-Identifier: MIT
# libpvguest: the freestanding library PV test kernels link against.
#
# Guest code never sees the host CFLAGS: it is a kernel running at
# 0xffffffff80000000 with no libc, no red zone, no SSE and no unwinder.
#
#   $(PVGUEST_LIB)        the library archive
#   $(PVGUEST_START)      the entry object (_start, ELF notes); link it first
#   $(call pvguest_kernel,OUT.elf,SOURCES)
#                         rule linking SOURCES (.c/.S) into a PV kernel;
#                         use with $(eval ...)

GUEST_CC      ?= $(CC)
GUEST_DIR     := $(BUILD)/guest
GUEST_OBJDIR  := $(GUEST_DIR)/obj

GUEST_CFLAGS  := -std=gnu11 -O2 -g -ffreestanding -fno-builtin-printf \
                 -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
                 -mgeneral-regs-only -fno-stack-protector \
                 -fno-asynchronous-unwind-tables -fno-unwind-tables \
                 -fno-tree-loop-distribute-patterns -fcf-protection=none \
                 -fno-omit-frame-pointer -nostdlib \
                 -Wall -Wextra -Werror -Wno-unused-parameter \
                 -Wstrict-prototypes -Wmissing-prototypes -Wvla \
                 -Iguest-abi/include -Iguest-abi/lib/include \
                 -I$(GUEST_DIR)/include
GUEST_ASFLAGS := $(filter-out -std=gnu11 -W%,$(GUEST_CFLAGS)) -D__ASSEMBLY__
GUEST_LDSCRIPT := guest-abi/lib/guest.ld
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(GUEST_LDSCRIPT) \
                 -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
                 -Wl,--build-id=none -Wl,--fatal-warnings

PVGUEST_LIB_SRCS := guest-abi/lib/console.c guest-abi/lib/lib.c \
                    guest-abi/lib/traps.c guest-abi/lib/user.c \
                    guest-abi/lib/events.c guest-abi/lib/time.c \
                    guest-abi/lib/entry.S
PVGUEST_LIB_OBJS := $(patsubst %,$(GUEST_OBJDIR)/%.o,$(basename $(PVGUEST_LIB_SRCS)))
PVGUEST_LIB      := $(GUEST_DIR)/libpvguest.a
PVGUEST_START    := $(GUEST_OBJDIR)/guest-abi/lib/start.o
GUEST_ASM_OFFSETS := $(GUEST_DIR)/include/asm-offsets.h

$(GUEST_ASM_OFFSETS): guest-abi/lib/asm-offsets.c
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  GEN     $@"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -MT $@ -MF $@.d -S -o $@.s $<
	$(Q){ echo "/* Generated from $<; do not edit. */"; \
	      sed -n 's/.*->\([A-Za-z_0-9]*\) \(-\{0,1\}[0-9][0-9]*\).*/#define \1 \2/p' $@.s; \
	    } > $@.tmp && mv $@.tmp $@ && rm -f $@.s

$(GUEST_OBJDIR)/%.o: %.c
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  GUESTCC $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_OBJDIR)/%.o: %.S $(GUEST_ASM_OFFSETS)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  GUESTAS $<"
	$(Q)$(GUEST_CC) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

$(PVGUEST_LIB): $(PVGUEST_LIB_OBJS)
	$(Q)echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

define pvguest_kernel
$(1): $(PVGUEST_START) $(patsubst %,$(GUEST_OBJDIR)/%.o,$(basename $(2))) $(PVGUEST_LIB) $(GUEST_LDSCRIPT)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)echo "  GUESTLD $$@"
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -o $$@ $(PVGUEST_START) $(patsubst %,$(GUEST_OBJDIR)/%.o,$(basename $(2))) $(PVGUEST_LIB)
endef

pvguest-lib: $(PVGUEST_LIB) $(PVGUEST_START)
.PHONY: pvguest-lib
