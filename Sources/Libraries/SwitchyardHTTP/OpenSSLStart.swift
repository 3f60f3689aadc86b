import CCurl

/// OpenSSL's process-wide start (`switchyard_openssl_init`: no error-string tables, no build
/// machine's openssl.cnf, no legacy cipher table), run before libcurl's (`CurlTransport.globalInit`)
/// and libmongoc's (`MongoConnection`) own initialisation and before the first digest (`Digest`),
/// whichever comes first: whatever starts OpenSSL first decides these for the process.
package enum OpenSSLStart {
    package static let once: Void = {
        // A failure here (out of memory) fails again, and is reported, at the library's own init.
        _ = switchyard_openssl_init()
    }()
}
