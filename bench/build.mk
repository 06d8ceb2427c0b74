# make bench: figures printed in one run (see bench/README in the top README).
BENCH_TARGETS += bench-run
bench-run: $(BUILD)/pvctl guests
	$(Q)sh bench/run.sh
# Grant tables: the grants kernel with its dom0 test service.
BENCH_TARGETS += bench-gnttab
bench-gnttab: $(BUILD)/pvctl guests
	$(Q)BUILD=$(BUILD) sh bench/gnttab.sh
