// Calls into onnxruntime's OrtApi table by index. The indices are the positions of the
// functions in `struct OrtApi` of onnxruntime_c_api.h, which onnxruntime keeps stable (entries
// are only ever appended); all used here exist since API version 4, and sy_ort_load asks for
// SY_ORT_MIN_API so any library from the last years serves.
#include "COnnxRuntime.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum {
    I_GET_ERROR_CODE = 1,
    I_GET_ERROR_MESSAGE = 2,
    I_CREATE_ENV = 3,
    I_CREATE_SESSION = 7,
    I_RUN = 9,
    I_CREATE_SESSION_OPTIONS = 10,
    I_SET_EXECUTION_MODE = 13,
    I_SET_LOG_SEVERITY = 22,
    I_SET_OPTIMIZATION_LEVEL = 23,
    I_SET_INTRA_OP_THREADS = 24,
    I_SET_INTER_OP_THREADS = 25,
    I_SESSION_INPUT_COUNT = 30,
    I_SESSION_OUTPUT_COUNT = 31,
    I_SESSION_INPUT_TYPE_INFO = 33,
    I_SESSION_OUTPUT_TYPE_INFO = 34,
    I_SESSION_INPUT_NAME = 36,
    I_SESSION_OUTPUT_NAME = 37,
    I_CREATE_TENSOR_WITH_DATA = 49,
    I_GET_TENSOR_MUTABLE_DATA = 51,
    I_CAST_TYPE_INFO_TO_TENSOR_INFO = 55,
    I_GET_TENSOR_ELEMENT_TYPE = 60,
    I_GET_DIMENSIONS_COUNT = 61,
    I_GET_DIMENSIONS = 62,
    I_GET_TENSOR_SHAPE_ELEMENT_COUNT = 64,
    I_GET_TENSOR_TYPE_AND_SHAPE = 65,
    I_CREATE_CPU_MEMORY_INFO = 69,
    I_ALLOCATOR_FREE = 76,
    I_GET_ALLOCATOR_WITH_DEFAULT_OPTIONS = 78,
    I_RELEASE_ENV = 92,
    I_RELEASE_STATUS = 93,
    I_RELEASE_MEMORY_INFO = 94,
    I_RELEASE_SESSION = 95,
    I_RELEASE_VALUE = 96,
    I_RELEASE_TYPE_INFO = 98,
    I_RELEASE_TENSOR_TYPE_AND_SHAPE_INFO = 99,
    I_RELEASE_SESSION_OPTIONS = 100,
    I_ADD_SESSION_CONFIG_ENTRY = 130,
};

/// Oldest API version whose table holds every index above.
#define SY_ORT_MIN_API 4

/// OrtApiBase: two function pointers, GetApi(version) and GetVersionString().
typedef struct {
    const void *(*get_api)(uint32_t version);
    const char *(*get_version_string)(void);
} sy_api_base;

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static void *const *table = NULL;
static const char *version = NULL;

int sy_ort_load(const char *path, uint32_t api_version, char *error, size_t error_length) {
    pthread_mutex_lock(&load_lock);
    if (table != NULL) {
        pthread_mutex_unlock(&load_lock);
        return 0;
    }
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(error, error_length, "%s", dlerror());
        pthread_mutex_unlock(&load_lock);
        return 1;
    }
    const sy_api_base *(*entry)(void) = (const sy_api_base *(*)(void))dlsym(library, "OrtGetApiBase");
    if (entry == NULL) {
        snprintf(error, error_length, "%s does not export OrtGetApiBase", path);
        dlclose(library);
        pthread_mutex_unlock(&load_lock);
        return 1;
    }
    const sy_api_base *base = entry();
    uint32_t wanted = api_version < SY_ORT_MIN_API ? SY_ORT_MIN_API : api_version;
    const void *api = base->get_api(wanted);
    if (api == NULL) {
        snprintf(error, error_length, "onnxruntime %s does not provide C API version %u", base->get_version_string(),
                 wanted);
        dlclose(library);
        pthread_mutex_unlock(&load_lock);
        return 1;
    }
    version = base->get_version_string();
    table = (void *const *)api;  // kept for the life of the process, like the library
    pthread_mutex_unlock(&load_lock);
    return 0;
}

const char *sy_ort_version(void) { return version; }

// The table's entries, typed.
#define FN(index, type) ((type)table[index])

int sy_ort_error_code(const OrtStatus *status) { return FN(I_GET_ERROR_CODE, int (*)(const OrtStatus *))(status); }

const char *sy_ort_error_message(const OrtStatus *status) {
    return FN(I_GET_ERROR_MESSAGE, const char *(*)(const OrtStatus *))(status);
}

void sy_ort_release_status(OrtStatus *status) {
    if (status) FN(I_RELEASE_STATUS, void (*)(OrtStatus *))(status);
}

OrtStatus *sy_ort_create_env(int log_level, const char *log_id, OrtEnv **out) {
    return FN(I_CREATE_ENV, OrtStatus *(*)(int, const char *, OrtEnv **))(log_level, log_id, out);
}

void sy_ort_release_env(OrtEnv *env) {
    if (env) FN(I_RELEASE_ENV, void (*)(OrtEnv *))(env);
}

OrtStatus *sy_ort_create_session_options(OrtSessionOptions **out) {
    return FN(I_CREATE_SESSION_OPTIONS, OrtStatus *(*)(OrtSessionOptions **))(out);
}

OrtStatus *sy_ort_set_intra_op_threads(OrtSessionOptions *options, int threads) {
    return FN(I_SET_INTRA_OP_THREADS, OrtStatus *(*)(OrtSessionOptions *, int))(options, threads);
}

OrtStatus *sy_ort_set_inter_op_threads(OrtSessionOptions *options, int threads) {
    return FN(I_SET_INTER_OP_THREADS, OrtStatus *(*)(OrtSessionOptions *, int))(options, threads);
}

OrtStatus *sy_ort_set_optimization_level(OrtSessionOptions *options, int level) {
    return FN(I_SET_OPTIMIZATION_LEVEL, OrtStatus *(*)(OrtSessionOptions *, int))(options, level);
}

OrtStatus *sy_ort_set_execution_mode(OrtSessionOptions *options, int mode) {
    return FN(I_SET_EXECUTION_MODE, OrtStatus *(*)(OrtSessionOptions *, int))(options, mode);
}

OrtStatus *sy_ort_set_log_severity(OrtSessionOptions *options, int level) {
    return FN(I_SET_LOG_SEVERITY, OrtStatus *(*)(OrtSessionOptions *, int))(options, level);
}

OrtStatus *sy_ort_add_config_entry(OrtSessionOptions *options, const char *key, const char *value) {
    return FN(I_ADD_SESSION_CONFIG_ENTRY, OrtStatus *(*)(OrtSessionOptions *, const char *, const char *))(
        options, key, value);
}

void sy_ort_release_session_options(OrtSessionOptions *options) {
    if (options) FN(I_RELEASE_SESSION_OPTIONS, void (*)(OrtSessionOptions *))(options);
}

OrtStatus *sy_ort_create_session(const OrtEnv *env, const char *model_path, const OrtSessionOptions *options,
                                 OrtSession **out) {
    return FN(I_CREATE_SESSION,
              OrtStatus *(*)(const OrtEnv *, const char *, const OrtSessionOptions *, OrtSession **))(
        env, model_path, options, out);
}

void sy_ort_release_session(OrtSession *session) {
    if (session) FN(I_RELEASE_SESSION, void (*)(OrtSession *))(session);
}

OrtStatus *sy_ort_session_input_count(const OrtSession *session, size_t *out) {
    return FN(I_SESSION_INPUT_COUNT, OrtStatus *(*)(const OrtSession *, size_t *))(session, out);
}

OrtStatus *sy_ort_session_output_count(const OrtSession *session, size_t *out) {
    return FN(I_SESSION_OUTPUT_COUNT, OrtStatus *(*)(const OrtSession *, size_t *))(session, out);
}

static OrtStatus *copy_name(const OrtSession *session, size_t index, char *buffer, size_t length, int index_of_getter) {
    OrtAllocator *allocator = NULL;
    OrtStatus *status = FN(I_GET_ALLOCATOR_WITH_DEFAULT_OPTIONS, OrtStatus *(*)(OrtAllocator **))(&allocator);
    if (status) return status;
    char *name = NULL;
    status = FN(index_of_getter, OrtStatus *(*)(const OrtSession *, size_t, OrtAllocator *, char **))(
        session, index, allocator, &name);
    if (status) return status;
    snprintf(buffer, length, "%s", name);
    return FN(I_ALLOCATOR_FREE, OrtStatus *(*)(OrtAllocator *, void *))(allocator, name);
}

OrtStatus *sy_ort_session_input_name(const OrtSession *session, size_t index, char *buffer, size_t length) {
    return copy_name(session, index, buffer, length, I_SESSION_INPUT_NAME);
}

OrtStatus *sy_ort_session_output_name(const OrtSession *session, size_t index, char *buffer, size_t length) {
    return copy_name(session, index, buffer, length, I_SESSION_OUTPUT_NAME);
}

/// Element type and dimensions from shape information (owned by the caller's type info or value).
static OrtStatus *read_shape(const OrtTensorTypeAndShapeInfo *info, int *element_type, int64_t *dims, size_t capacity,
                             size_t *count) {
    OrtStatus *status =
        FN(I_GET_TENSOR_ELEMENT_TYPE, OrtStatus *(*)(const OrtTensorTypeAndShapeInfo *, int *))(info, element_type);
    if (status) return status;
    status = FN(I_GET_DIMENSIONS_COUNT, OrtStatus *(*)(const OrtTensorTypeAndShapeInfo *, size_t *))(info, count);
    if (status) return status;
    if (*count > capacity) return NULL;  // the caller sees count > capacity and refuses the model
    return FN(I_GET_DIMENSIONS, OrtStatus *(*)(const OrtTensorTypeAndShapeInfo *, int64_t *, size_t))(info, dims,
                                                                                                   *count);
}

static OrtStatus *io_shape(const OrtSession *session, size_t index, int getter, int *element_type, int64_t *dims,
                           size_t capacity, size_t *count) {
    OrtTypeInfo *type_info = NULL;
    OrtStatus *status =
        FN(getter, OrtStatus *(*)(const OrtSession *, size_t, OrtTypeInfo **))(session, index, &type_info);
    if (status) return status;
    const OrtTensorTypeAndShapeInfo *tensor = NULL;
    status = FN(I_CAST_TYPE_INFO_TO_TENSOR_INFO,
                OrtStatus *(*)(const OrtTypeInfo *, const OrtTensorTypeAndShapeInfo **))(type_info, &tensor);
    if (status == NULL && tensor == NULL) {
        *element_type = 0;  // not a tensor
        *count = 0;
    } else if (status == NULL) {
        status = read_shape(tensor, element_type, dims, capacity, count);
    }
    FN(I_RELEASE_TYPE_INFO, void (*)(OrtTypeInfo *))(type_info);
    return status;
}

OrtStatus *sy_ort_session_input_shape(const OrtSession *session, size_t index, int *element_type, int64_t *dims,
                                      size_t capacity, size_t *count) {
    return io_shape(session, index, I_SESSION_INPUT_TYPE_INFO, element_type, dims, capacity, count);
}

OrtStatus *sy_ort_session_output_shape(const OrtSession *session, size_t index, int *element_type, int64_t *dims,
                                       size_t capacity, size_t *count) {
    return io_shape(session, index, I_SESSION_OUTPUT_TYPE_INFO, element_type, dims, capacity, count);
}

OrtStatus *sy_ort_create_cpu_memory_info(OrtMemoryInfo **out) {
    return FN(I_CREATE_CPU_MEMORY_INFO, OrtStatus *(*)(int, int, OrtMemoryInfo **))(SY_ORT_ARENA_ALLOCATOR,
                                                                                     SY_ORT_MEM_TYPE_DEFAULT, out);
}

void sy_ort_release_memory_info(OrtMemoryInfo *info) {
    if (info) FN(I_RELEASE_MEMORY_INFO, void (*)(OrtMemoryInfo *))(info);
}

OrtStatus *sy_ort_create_tensor(const OrtMemoryInfo *info, void *data, size_t byte_count, const int64_t *shape,
                                size_t rank, int element_type, OrtValue **out) {
    return FN(I_CREATE_TENSOR_WITH_DATA,
              OrtStatus *(*)(const OrtMemoryInfo *, void *, size_t, const int64_t *, size_t, int, OrtValue **))(
        info, data, byte_count, shape, rank, element_type, out);
}

void sy_ort_release_value(OrtValue *value) {
    if (value) FN(I_RELEASE_VALUE, void (*)(OrtValue *))(value);
}

OrtStatus *sy_ort_run(OrtSession *session, const char *const *input_names, const OrtValue *const *inputs,
                      size_t input_count, const char *const *output_names, size_t output_count, OrtValue **outputs) {
    return FN(I_RUN, OrtStatus *(*)(OrtSession *, const void *, const char *const *, const OrtValue *const *, size_t,
                                    const char *const *, size_t, OrtValue **))(
        session, NULL, input_names, inputs, input_count, output_names, output_count, outputs);
}

OrtStatus *sy_ort_tensor_contents(OrtValue *value, int *element_type, int64_t *dims, size_t capacity, size_t *rank,
                                  size_t *element_count, void **data) {
    OrtTensorTypeAndShapeInfo *info = NULL;
    OrtStatus *status =
        FN(I_GET_TENSOR_TYPE_AND_SHAPE, OrtStatus *(*)(const OrtValue *, OrtTensorTypeAndShapeInfo **))(value, &info);
    if (status) return status;
    status = read_shape(info, element_type, dims, capacity, rank);
    if (status == NULL) {
        status = FN(I_GET_TENSOR_SHAPE_ELEMENT_COUNT,
                    OrtStatus *(*)(const OrtTensorTypeAndShapeInfo *, size_t *))(info, element_count);
    }
    FN(I_RELEASE_TENSOR_TYPE_AND_SHAPE_INFO, void (*)(OrtTensorTypeAndShapeInfo *))(info);
    if (status) return status;
    return FN(I_GET_TENSOR_MUTABLE_DATA, OrtStatus *(*)(OrtValue *, void **))(value, data);
}
