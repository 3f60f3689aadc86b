import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardTestSupport
import XCTest

final class SecretsManagerClientTests: XCTestCase {
    let environment = Environment([
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
        "AWS_REGION": "eu-west-1",
    ])

    func testGetSecretValueIsSignedCachedAndParsed() async throws {
        let secret = #"{"OPENAI_API_KEY":"sk-live-123","ANTHROPIC_API_KEY":"sk-ant-456"}"#
        let body = JSON.object([
            "ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:llm", "Name": "llm", "SecretString": .string(secret),
        ]).serialized()
        let endpoint = RecordingTransport(answers: [HTTPResponse(status: 200, body: body)])
        let client = try SecretsManagerClient(environment: environment, transport: endpoint)
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        let first = try await client.secretValue("llm", field: "OPENAI_API_KEY", deadline: deadline)
        let second = try await client.secretValue("llm", field: "ANTHROPIC_API_KEY", deadline: deadline)
        XCTAssertEqual(first, "sk-live-123")
        XCTAssertEqual(second, "sk-ant-456")
        let sent = endpoint.sent
        XCTAssertEqual(sent.count, 1, "the second read comes from the cache")
        let request = try XCTUnwrap(sent.first)
        XCTAssertEqual(request.url, "https://secretsmanager.eu-west-1.amazonaws.com/")
        XCTAssertEqual(request.headers["X-Amz-Target"], "secretsmanager.GetSecretValue")
        XCTAssertEqual(request.headers["Content-Type"], "application/x-amz-json-1.1")
        XCTAssertEqual(request.headers["X-Amz-Security-Token"], "token")
        XCTAssertTrue(request.headers["Authorization"]!.contains("/eu-west-1/secretsmanager/aws4_request"))
        XCTAssertEqual(try JSON.parse(request.body), ["SecretId": "llm"])
    }

    func testServiceErrorsAreTypedAndEndpointOverridesApply() async throws {
        var env = environment
        env.values["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "http://127.0.0.1:4566/"
        let endpoint = RecordingTransport(answers: [
            HTTPResponse(
                status: 400,
                body: Array(
                    #"{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}"#
                        .utf8)),
            HTTPResponse(
                status: 400,
                body: Array(#"{"__type":"com.amazonaws#ThrottlingException","message":"Rate exceeded"}"#.utf8)),
        ])
        let client = try SecretsManagerClient(environment: env, transport: endpoint)
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        do {
            _ = try await client.secretString("missing", deadline: deadline)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(
                error,
                .service(
                    service: "secretsmanager", status: 400, code: "ResourceNotFoundException",
                    message: "Secrets Manager can't find the specified secret."))
            XCTAssertEqual(error.errorType, "AWS.ServiceError")
        }
        do {
            _ = try await client.secretString("busy", deadline: deadline)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.errorType, "AWS.Throttled")
        }
        XCTAssertEqual(endpoint.sent.first?.url, "http://127.0.0.1:4566/")
    }

    func testMissingCredentialsAreAConfigurationError() {
        XCTAssertThrowsError(
            try SecretsManagerClient(
                environment: Environment(["AWS_REGION": "us-east-1"]), transport: RecordingTransport(answers: []))
        ) {
            XCTAssertEqual($0 as? ConfigurationError, .missing(variable: "AWS_ACCESS_KEY_ID"))
        }
    }
}
