# make bench: figures printed in one run (see bench/README in the top README).
BENCH_TARGETS += bench-run
BENCH_DEPS += $(BUILD)/pvctl guests
bench-run:
	$(Q)sh bench/run.sh
# Grant tables: the grants kernel with its dom0 test service.
BENCH_TARGETS += bench-gnttab
bench-gnttab:
	$(Q)BUILD=$(BUILD) sh bench/gnttab.sh
# The stock Debian kernel (make linux-guest): boot to userspace against
# QEMU TCG, and bench/pvbench in the guest against the host. Needs what
# `make linux-guest` builds (its two files, named here because
# guests/linux.mk is included after this file).
$(BUILD)/bench/pvbench: bench/pvbench.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -static -O2 -Wall -Wextra -o $@ $<
BENCH_TARGETS += bench-linux
BENCH_DEPS += $(BUILD)/pvisord $(BUILD)/bench/pvbench \
	      $(BUILD)/linux/vmlinuz $(BUILD)/linux/initrd.img
bench-linux:
	$(Q)BUILD=$(BUILD) sh bench/linux.sh
# Event channels: IPIs between vCPUs, round trips to a dom0 service.
BENCH_TARGETS += bench-events
bench-events:
	$(Q)BUILD=$(BUILD) sh bench/events.sh
# Disks: blkbench in the Debian guest on xvda against the host.
$(BUILD)/bench/blkbench: bench/blkbench.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -static -O2 -Wall -Wextra -o $@ $<
BENCH_TARGETS += bench-block
BENCH_DEPS += $(BUILD)/pvblkback $(BUILD)/bench/blkbench
bench-block:
	$(Q)BUILD=$(BUILD) sh bench/block.sh
# Network: netbench between the Debian guest and the host over the vif,
# beside a veth pair between two namespaces.
$(BUILD)/bench/netbench: bench/netbench.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -static -O2 -Wall -Wextra -o $@ $< -l:libxxhash.a
BENCH_TARGETS += bench-net
BENCH_DEPS += $(BUILD)/pvnetback $(BUILD)/bench/netbench
bench-net:
	$(Q)BUILD=$(BUILD) sh bench/net.sh
