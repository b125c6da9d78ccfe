using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace FedLlm.Serving.Protocol;

/// <summary>A request that fails with an OpenAI-style error object: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
public sealed class ApiError(int status, string message, string type = "invalid_request_error", string? code = null, string? param = null) : Exception(message)
{
    public int Status { get; } = status;

    public static ApiError BadRequest(string message, string? param = null) => new(StatusCodes.Status400BadRequest, message, param: param);

    public static ApiError UnknownModel(string name, IEnumerable<string> served) =>
        new(StatusCodes.Status404NotFound, $"The model '{name}' does not exist (served: {string.Join(", ", served)}).", code: "model_not_found", param: "model");

    public JsonObject ToJson() => new()
    {
        ["error"] = new JsonObject { ["message"] = Message, ["type"] = type, ["param"] = param, ["code"] = code },
    };

    public async Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = Status;
        if (Status == StatusCodes.Status429TooManyRequests) response.Headers.RetryAfter = "1";
        response.ContentType = "application/json";
        await response.WriteAsync(ToJson().ToJsonString());
    }
}
