/*
 * Transport benchmark, anchor side: the same exchange as TransportBench over raw libzmq.
 * A ROUTER thread echoes every multipart message back unchanged (zero-copy zmq_msg moves);
 * a DEALER sends [32-byte header][metadata JSON][8 MiB payload] with the payload handed to
 * libzmq by zmq_msg_init_data (no copy), keeping `window` messages in flight.
 * Prints one line: `raw <GB/s>` counting payload bytes in both directions.
 *
 *   cc -O2 -o raw_zmq raw_zmq.c -lzmq -lpthread
 *   ./raw_zmq --size-mib 8 --count 200 --window 4 --port 56302
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static char endpoint[64];

static void *echo_server(void *ctx) {
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(router, endpoint) != 0) { perror("bind"); exit(1); }
    for (;;) {
        zmq_msg_t parts[8];
        int n = 0, more = 1;
        while (more && n < 8) {
            zmq_msg_init(&parts[n]);
            if (zmq_msg_recv(&parts[n], router, 0) < 0) { zmq_close(router); return NULL; }
            more = zmq_msg_more(&parts[n]);
            n++;
        }
        for (int i = 0; i < n; i++) zmq_msg_send(&parts[i], router, i < n - 1 ? ZMQ_SNDMORE : 0);
    }
}

static void no_free(void *data, void *hint) { (void)data; (void)hint; }

static int arg(int argc, char **argv, const char *name, int fallback) {
    for (int i = 1; i + 1 < argc; i++) if (strcmp(argv[i], name) == 0) return atoi(argv[i + 1]);
    return fallback;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void send_one(void *dealer, float *payload, size_t bytes, uint64_t id) {
    unsigned char header[32] = {'T', 'Y', 'R', 'D', 1, 0, 0x08, 0, 0, 0, 0, 0, 2, 0, 0, 0};
    memcpy(header + 24, &id, 8);
    char metadata[96];
    int len = snprintf(metadata, sizeof metadata, "{\"payload\":[{\"count\":%zu,\"dtype\":\"f32\"}]}", bytes / 4);
    zmq_send(dealer, header, sizeof header, ZMQ_SNDMORE);
    zmq_send(dealer, metadata, (size_t)len, ZMQ_SNDMORE);
    zmq_msg_t msg;
    zmq_msg_init_data(&msg, payload, bytes, no_free, NULL);
    zmq_msg_send(&msg, dealer, 0);
}

static void receive_one(void *dealer, size_t bytes) {
    int more = 1, parts = 0;
    size_t last = 0;
    while (more) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        zmq_msg_recv(&msg, dealer, 0);
        last = zmq_msg_size(&msg);
        more = zmq_msg_more(&msg);
        zmq_msg_close(&msg);
        parts++;
    }
    if (parts != 3 || last != bytes) { fprintf(stderr, "bad reply\n"); exit(1); }
}

static double exchange(void *dealer, float *payload, size_t bytes, int count, int window) {
    double start = now();
    int sent = 0, received = 0;
    while (sent < window && sent < count) send_one(dealer, payload, bytes, (uint64_t)sent++);
    while (received < count) {
        receive_one(dealer, bytes);
        received++;
        if (sent < count) send_one(dealer, payload, bytes, (uint64_t)sent++);
    }
    return now() - start;
}

int main(int argc, char **argv) {
    size_t bytes = (size_t)arg(argc, argv, "--size-mib", 8) * 1024 * 1024;
    int count = arg(argc, argv, "--count", 200);
    int window = arg(argc, argv, "--window", 4);
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", arg(argc, argv, "--port", 56302));

    void *ctx = zmq_ctx_new();
    pthread_t server;
    pthread_create(&server, NULL, echo_server, ctx);
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(dealer, endpoint);

    float *payload = malloc(bytes);
    for (size_t i = 0; i < bytes / 4; i++) payload[i] = 1.5f;
    exchange(dealer, payload, bytes, 10, window);           /* warm-up */
    double elapsed = exchange(dealer, payload, bytes, count, window);
    printf("raw %.3f\n", (double)count * bytes * 2 / elapsed / 1e9);
    fflush(stdout);
    _exit(0);
}
