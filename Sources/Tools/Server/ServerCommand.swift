import Logging
import NIOCore
import NIOPosix
import SwitchyardCore
import SwitchyardCurlMulti
import SwitchyardFrontDoor
import SwitchyardHTTP
import SwitchyardIngressFunction
import SwitchyardLLMCallerFunction
import SwitchyardNIOHTTPClient
import SwitchyardRouterFunction
import SwitchyardUsage
import SwitchyardVisionFunction

#if canImport(Glibc)
    import Glibc
#endif

/// `switchyard-server`: the front door, the router and the llm-caller in one process.
enum ServerCommand {
    static func run() async -> Int32 {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "switchyard.server")
        do {
            let environment = Environment.process
            let configuration = try ServerConfiguration(environment: environment)
            let routerConfiguration = try RouterConfiguration(environment: environment)
            let router = try RouterHandler(configuration: routerConfiguration)
            let pool = BlockingPool(threads: configuration.upstreamThreads)
            let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
            // As many kept-alive upstream handles as transfers can run at once: past the transport's
            // default 8, each extra concurrent call made a new handle and a new connection, and freed
            // both after one request.
            let upstream = CurlTransport.Configuration(maxIdleHandles: configuration.upstreamThreads)
            let transport: any HTTPTransport =
                switch configuration.upstreamClient {
                case .nio:
                    try NIOHTTPTransport(
                        group: group, configuration: .init(maxIdlePerLoop: configuration.upstreamThreads),
                        fallback: CurlMultiTransport(group: group, configuration: upstream))
                case .multi: try CurlMultiTransport(group: group, configuration: upstream)
                case .easy: CurlTransport(configuration: upstream)
                }
            let billing = try await ServerBilling.start(
                configuration, rates: router.bundles.current().router.table.bundle.rates, pool: pool, logger: logger)
            var pipeline = InProcessPipeline(
                router: router,
                llm: try LLMCallerHandler(
                    configuration: LLMCallerConfiguration(
                        environment: environment, parsed: router.parsedCatalog(routerConfiguration)),
                    transport: transport),
                vision: configuration.vision ? try await VisionHandler.make(environment: environment) : nil,
                pool: pool, usage: billing?.frontDoor.queue, enqueueTimeout: configuration.frontDoor.enqueueTimeout,
                logger: logger)
            pipeline.nonBlockingUpstream = configuration.nonBlockingUpstream
            let backend = InProcessBackend(pipeline: pipeline)
            let gateway = try GatewayMode(environment: environment, arguments: CommandLine.arguments)
            // The key file is the local path; without one the keys are MongoDB's, the store the
            // authorizer reads on AWS, so one `scripts/keys --mongo` serves both.
            let keys: any KeySource =
                if let file = configuration.keysFile {
                    try KeyRing(path: file)
                } else {
                    try MongoKeyStore(environment: environment, ttl: configuration.keysTTL, pool: pool)
                }
            var batches: FrontDoorBatches?
            if let uri = configuration.mongoURI {
                var store = try MongoUsageConfiguration(environment: environment)
                store.uri = uri
                batches = FrontDoorBatches(
                    store: try MongoBatchJobStore(configuration: store, pool: pool),
                    scheduler: BatchScheduler(maxRunning: configuration.batchJobs))
            }
            let service = FrontDoorService(
                keys: keys, backend: gateway?.backend(over: backend) ?? backend, billing: billing?.frontDoor,
                configuration: configuration.frontDoor, batches: batches, logger: logger)
            let dashboard = try DashboardMount.make(environment: environment)
            let server = try await HTTPFrontDoorServer.start(
                host: configuration.host, port: configuration.port, group: group, limits: configuration.limits
            ) { request in
                if let dashboard, dashboard.handles(request) { return await dashboard.respond(request) }
                guard let gateway else { return await service.handle(request) }
                switch await gateway.prepare(request, deadline: .now + configuration.frontDoor.requestTimeout) {
                case .success(let request): return await service.handle(request)
                case .failure(let error): return .error(error, requestID: nil)
                }
            }
            if batches != nil {
                do {
                    let resumed = try await service.resumeBatches()
                    if resumed > 0 { logger.info("resumed \(resumed) unfinished batch jobs") }
                } catch {
                    // Not fatal: the jobs stay in the store and resume at the next start.
                    logger.warning("unfinished batch jobs not resumed: \(error.errorMessage.prefix(200))")
                }
            }
            // The test harness and scripts read this line for the port.
            print(
                "switchyard-server listening on http://\(configuration.host):\(server.port) "
                    + "billing=\(billing == nil ? "off" : "on")" + (gateway == nil ? "" : " gateway=on")
            )
            fflush(stdout)
            try await server.channel.closeFuture.get()
            return 0
        } catch {
            logger.critical("switchyard-server failed to start: \(error)")
            return 1
        }
    }
}

// The pipeline takes detectors through a protocol, so that the ingress (no detectors) does not link vision.
extension VisionHandler: InProcessDetector {}
