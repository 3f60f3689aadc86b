// Switchyard's binding to onnxruntime's C API: the few calls in-process inference needs.
//
// The library is the PyPI wheel's libonnxruntime.so (MIT). It is opened with dlopen at init
// rather than linked, so every target builds on a checkout without it and only a function that
// runs a model in-process needs it at run time. The C API is one entry point, OrtGetApiBase(),
// returning a table of function pointers (OrtApi) whose order onnxruntime never changes: new
// versions only append. These wrappers call entries by their index in that table, as
// documented in onnxruntime_c_api.h (see sy_ort.c for the indices used); nothing of that header
// is copied here.
#ifndef SWITCHYARD_CONNXRUNTIME_H
#define SWITCHYARD_CONNXRUNTIME_H

#include <stddef.h>
#include <stdint.h>

typedef struct OrtEnv OrtEnv;
typedef struct OrtStatus OrtStatus;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtSession OrtSession;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtValue OrtValue;
typedef struct OrtTypeInfo OrtTypeInfo;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtAllocator OrtAllocator;

/// Values of onnxruntime's enums that Switchyard passes or reads.
enum {
    SY_ORT_LOGGING_WARNING = 2,   // OrtLoggingLevel
    SY_ORT_LOGGING_ERROR = 3,
    SY_ORT_ELEMENT_FLOAT = 1,     // ONNXTensorElementDataType
    SY_ORT_ELEMENT_UINT8 = 2,
    SY_ORT_ARENA_ALLOCATOR = 1,   // OrtAllocatorType
    SY_ORT_DEVICE_ALLOCATOR = 0,
    SY_ORT_MEM_TYPE_DEFAULT = 0,  // OrtMemType
    SY_ORT_ENABLE_ALL = 99,       // GraphOptimizationLevel
    SY_ORT_SEQUENTIAL = 0,        // ExecutionMode
};

/// Opens the library at `path` and fetches the API table for `api_version`. Returns 0 on
/// success; otherwise writes a reason into `error`. Safe to call again: a loaded table is kept.
int sy_ort_load(const char *path, uint32_t api_version, char *error, size_t error_length);
/// The library's version string ("1.32.0"), or NULL before a successful load.
const char *sy_ort_version(void);

// Status: NULL means success. A non-NULL status must be released.
int sy_ort_error_code(const OrtStatus *status);
const char *sy_ort_error_message(const OrtStatus *status);
void sy_ort_release_status(OrtStatus *status);

OrtStatus *sy_ort_create_env(int log_level, const char *log_id, OrtEnv **out);
void sy_ort_release_env(OrtEnv *env);

OrtStatus *sy_ort_create_session_options(OrtSessionOptions **out);
OrtStatus *sy_ort_set_intra_op_threads(OrtSessionOptions *options, int threads);
OrtStatus *sy_ort_set_inter_op_threads(OrtSessionOptions *options, int threads);
OrtStatus *sy_ort_set_optimization_level(OrtSessionOptions *options, int level);
OrtStatus *sy_ort_set_execution_mode(OrtSessionOptions *options, int mode);
OrtStatus *sy_ort_set_log_severity(OrtSessionOptions *options, int level);
OrtStatus *sy_ort_add_config_entry(OrtSessionOptions *options, const char *key, const char *value);
void sy_ort_release_session_options(OrtSessionOptions *options);

OrtStatus *sy_ort_create_session(const OrtEnv *env, const char *model_path, const OrtSessionOptions *options,
                                 OrtSession **out);
void sy_ort_release_session(OrtSession *session);
OrtStatus *sy_ort_session_input_count(const OrtSession *session, size_t *out);
OrtStatus *sy_ort_session_output_count(const OrtSession *session, size_t *out);
/// The name of input/output `index`, copied into `buffer` (NUL-terminated, truncated to `length`).
OrtStatus *sy_ort_session_input_name(const OrtSession *session, size_t index, char *buffer, size_t length);
OrtStatus *sy_ort_session_output_name(const OrtSession *session, size_t index, char *buffer, size_t length);
/// Element type and shape (-1 for symbolic dimensions) of input/output `index`; `dims` holds up
/// to `capacity` values and `count` receives the rank. Fails for non-tensor inputs.
OrtStatus *sy_ort_session_input_shape(const OrtSession *session, size_t index, int *element_type, int64_t *dims,
                                      size_t capacity, size_t *count);
OrtStatus *sy_ort_session_output_shape(const OrtSession *session, size_t index, int *element_type, int64_t *dims,
                                       size_t capacity, size_t *count);

OrtStatus *sy_ort_create_cpu_memory_info(OrtMemoryInfo **out);
void sy_ort_release_memory_info(OrtMemoryInfo *info);
/// A tensor over caller-owned memory (not copied; it must outlive the value).
OrtStatus *sy_ort_create_tensor(const OrtMemoryInfo *info, void *data, size_t byte_count, const int64_t *shape,
                                size_t rank, int element_type, OrtValue **out);
void sy_ort_release_value(OrtValue *value);
OrtStatus *sy_ort_run(OrtSession *session, const char *const *input_names, const OrtValue *const *inputs,
                      size_t input_count, const char *const *output_names, size_t output_count, OrtValue **outputs);
/// Element type, shape and data pointer of a tensor value (owned by the value).
OrtStatus *sy_ort_tensor_contents(OrtValue *value, int *element_type, int64_t *dims, size_t capacity, size_t *rank,
                                  size_t *element_count, void **data);

#endif
