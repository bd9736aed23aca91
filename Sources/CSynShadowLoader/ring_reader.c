// SPDX-License-Identifier: GPL-2.0
/*
 * ring_reader.c — reads the BPF ring buffer and proves how far it has read.
 *
 * libbpf's ring_buffer__consume() stops silently at a record another CPU has
 * reserved but not committed yet, and cannot say whether it caught up. The
 * model needs that proof: it may only judge "nothing followed" up to a time
 * before which every record is known to have been read. So this reader maps
 * the ring itself (the kernel's documented layout: a consumer page, a
 * producer page, then the data pages mapped twice) and returns, with each
 * drain, a watermark:
 *
 *   t0 = CLOCK_MONOTONIC, read before the producer position P.
 *   Every record reserved before P was read is consumed (we wait briefly for
 *   one still being written). Any record not consumed was therefore reserved
 *   after t0, and the BPF side stamps a record after reserving it, so its
 *   timestamp is later than t0. Nothing stamped before t0 remains unread.
 */
#include "ring_reader.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#define RECORD_HEADER_SIZE 8 /* BPF_RINGBUF_HDR_SZ: u32 length + u32 page offset */

/* How long a drain waits for a record still being written by another CPU
 * before it gives up proving a watermark this time (the producer was
 * interrupted between reserve and commit; the next drain will retry). */
#define BUSY_RECORD_WAIT_NS 200000ULL

uint64_t ss_monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

int ss_ring_reader_open(struct ss_ring_reader *reader, int map_fd)
{
	struct bpf_map_info info;
	__u32 length = sizeof(info);
	struct epoll_event event = { .events = EPOLLIN };
	void *mapping;

	memset(reader, 0, sizeof(*reader));
	reader->epoll_fd = -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &length))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || info.max_entries == 0 ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	reader->page_size = (size_t)sysconf(_SC_PAGESIZE);
	reader->data_size = info.max_entries;

	mapping = mmap(NULL, reader->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (mapping == MAP_FAILED)
		return -errno;
	reader->consumer_page = mapping;
	/* The producer page, then the data pages twice over, so a record that
	 * wraps around the end reads as one contiguous block. */
	mapping = mmap(NULL, reader->page_size + 2 * reader->data_size, PROT_READ, MAP_SHARED, map_fd,
		       (off_t)reader->page_size);
	if (mapping == MAP_FAILED) {
		int err = -errno;

		ss_ring_reader_close(reader);
		return err;
	}
	reader->producer_page = mapping;
	reader->data = (const uint8_t *)mapping + reader->page_size;

	reader->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (reader->epoll_fd < 0 || epoll_ctl(reader->epoll_fd, EPOLL_CTL_ADD, map_fd, &event)) {
		int err = -errno;

		ss_ring_reader_close(reader);
		return err;
	}
	return 0;
}

void ss_ring_reader_close(struct ss_ring_reader *reader)
{
	if (reader->producer_page)
		munmap((void *)reader->producer_page, reader->page_size + 2 * reader->data_size);
	if (reader->consumer_page)
		munmap(reader->consumer_page, reader->page_size);
	if (reader->epoll_fd >= 0)
		close(reader->epoll_fd);
	memset(reader, 0, sizeof(*reader));
	reader->epoll_fd = -1;
}

int ss_ring_reader_wait(struct ss_ring_reader *reader, int timeout_ms)
{
	struct epoll_event event;
	int ready = epoll_wait(reader->epoll_fd, &event, 1, timeout_ms);

	if (ready < 0 && errno != EINTR)
		return -errno;
	return 0;
}

static inline unsigned long load_acquire(const unsigned long *position)
{
	return atomic_load_explicit((const _Atomic unsigned long *)position, memory_order_acquire);
}

static inline void store_release(unsigned long *position, unsigned long value)
{
	atomic_store_explicit((_Atomic unsigned long *)position, value, memory_order_release);
}

int ss_ring_reader_drain(struct ss_ring_reader *reader, ss_record_fn on_record, void *context,
			 struct ss_drain_result *result)
{
	struct ss_ring_view view = {
		.consumer_position = reader->consumer_page,
		.producer_position = reader->producer_page,
		.data = reader->data,
		.data_size = reader->data_size,
	};

	return ss_ring_view_drain(&view, on_record, context, result);
}

int ss_ring_view_drain(const struct ss_ring_view *view, ss_record_fn on_record, void *context,
		       struct ss_drain_result *result)
{
	unsigned long *consumer = view->consumer_position;
	const unsigned long *producer = view->producer_position;
	unsigned long mask = view->data_size - 1;
	uint64_t started = ss_monotonic_ns();
	unsigned long target = load_acquire(producer);
	unsigned long position = load_acquire(consumer);
	uint64_t busy_since = 0;

	memset(result, 0, sizeof(*result));
	while (position < target) {
		const uint32_t *header = (const uint32_t *)(view->data + (position & mask));
		uint32_t length = atomic_load_explicit((const _Atomic uint32_t *)header, memory_order_acquire);

		if (length & BPF_RINGBUF_BUSY_BIT) {
			/* Reserved before `target` was read, not committed yet. */
			uint64_t now = ss_monotonic_ns();

			if (!busy_since)
				busy_since = now;
			if (now - busy_since > BUSY_RECORD_WAIT_NS) {
				result->busy_records++;
				break;
			}
			continue;
		}
		busy_since = 0;
		if (!(length & BPF_RINGBUF_DISCARD_BIT)) {
			on_record(context, (void *)((const uint8_t *)header + RECORD_HEADER_SIZE), length);
			result->records++;
		}
		length &= ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		position += (length + RECORD_HEADER_SIZE + 7) & ~7UL;
		/* Free the space at once: producers on other CPUs are writing. */
		store_release(consumer, position);
	}
	result->caught_up = position >= target;
	result->watermark_ns = result->caught_up ? started : 0;
	return (int)result->records;
}
