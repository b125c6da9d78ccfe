using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Generation.Local;
using FedLlm.Serving.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace FedLlm.Serving;

/// <summary>
/// An OpenAI-compatible HTTP server (Kestrel) over <see cref="ServedModels"/>: /v1/models, /v1/chat/completions and
/// /v1/completions (both also as server-sent events), /health with request counters. Errors are OpenAI error objects:
/// 400 bad request or context too long, 401 missing or wrong key, 404 unknown model, 429 when the decoding queue is full.
/// </summary>
public sealed class OpenAiServer(ServedModels models, ServeOptions options)
{
    private long _generationRequests;
    private long _unauthorised;

    /// <summary>Completion requests received so far (what /health reports): a re-run answered from a client's cache adds none.</summary>
    public long GenerationRequests => Interlocked.Read(ref _generationRequests);

    /// <summary>Serves until <paramref name="cancellation"/>; <paramref name="listening"/> gets each bound address once ready.</summary>
    public async Task RunAsync(Action<string> listening, CancellationToken cancellation)
    {
        byte[]? key = ApiKey();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(options.Listen);
        await using var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (key is not null && context.Request.Path.StartsWithSegments("/v1") && !Authorised(context.Request, key))
            {
                Interlocked.Increment(ref _unauthorised);
                await new ApiError(StatusCodes.Status401Unauthorized, "Incorrect or missing API key (send it as 'Authorization: Bearer KEY').", code: "invalid_api_key").WriteAsync(context.Response);
                return;
            }
            await next(context);
        });
        Map(app);
        await app.StartAsync(cancellation);
        foreach (string address in app.Urls) listening(address);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException)
        {
        }
        await app.StopAsync(CancellationToken.None);
    }

    private void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => Results.Text(Health().ToJsonString(), "application/json"));
        app.MapGet("/v1/models", () => Results.Text(ModelList().ToJsonString(), "application/json"));
        app.MapPost("/v1/chat/completions", context => Handle(context, chat: true));
        app.MapPost("/v1/completions", context => Handle(context, chat: false));
    }

    private async Task Handle(HttpContext context, bool chat)
    {
        Interlocked.Increment(ref _generationRequests);
        // Cancelled when the client goes away or the request fails part-way, which frees the sequences it started.
        using var request = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var cancellation = request.Token;
        try
        {
            var parsed = await ReadAsync(context.Request, chat, cancellation);
            var client = models.Find(parsed.Model) ?? throw ApiError.UnknownModel(parsed.Model, models.Names);
            var generations = Start(client, parsed, chat, cancellation);
            if (parsed.Stream)
            {
                await Responses.StreamAsync(context.Response, generations[0], chat, parsed.IncludeUsage, cancellation);
                return;
            }
            var responses = await Task.WhenAll(generations.Select(g => g.ResponseAsync(cancellation)));
            var body = chat ? Responses.ChatCompletion(generations[0], responses[0]) : Responses.TextCompletion(generations, responses);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body.ToJsonString(), cancellation);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; its sequences have been released.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            request.Cancel();
            await AsError(e).WriteAsync(context.Response);
        }
    }

    /// <summary>Starts every generation of the request before answering, so a full host or a bad prompt fails the whole request up front.</summary>
    private static List<LocalGeneration> Start(LocalChatClient client, ParsedRequest request, bool chat, CancellationToken cancellation) => chat
        ? [client.StartChat(request.Messages, request.Options, cancellation)]
        : request.Prompts.Select(prompt => client.StartCompletion(prompt, request.Options, cancellation)).ToList();

    private static async Task<ParsedRequest> ReadAsync(HttpRequest request, bool chat, CancellationToken cancellation)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellation);
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"The body is not valid JSON: {e.Message}");
        }
        using (document) return chat ? ParsedRequest.Chat(document.RootElement) : ParsedRequest.Completion(document.RootElement);
    }

    private static ApiError AsError(Exception e) => e switch
    {
        ApiError api => api,
        HostBusyException => new ApiError(StatusCodes.Status429TooManyRequests, e.Message, "server_busy", "server_busy"),
        ContextLengthExceededException => new ApiError(StatusCodes.Status400BadRequest, e.Message, code: "context_length_exceeded", param: "messages"),
        ArgumentException => ApiError.BadRequest(e.Message),
        _ => new ApiError(StatusCodes.Status500InternalServerError, "The server failed to generate: " + e.Message, "server_error"),
    };

    private JsonObject ModelList()
    {
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var data = models.Names.Select(name => (JsonNode)new JsonObject
        {
            ["id"] = name,
            ["object"] = "model",
            ["created"] = created,
            ["owned_by"] = "fedllm",
            ["root"] = name,
            ["parent"] = name == models.BaseName ? null : models.BaseName,
            ["max_model_len"] = models.Context,
        });
        return new JsonObject { ["object"] = "list", ["data"] = new JsonArray(data.ToArray()) };
    }

    private JsonObject Health()
    {
        var counters = models.Counters;
        return new JsonObject
        {
            ["status"] = "ok",
            ["generation_requests"] = Interlocked.Read(ref _generationRequests),
            ["completed"] = counters.Completed,
            ["rejected_busy"] = counters.Rejected,
            ["failed"] = counters.Failed,
            ["in_flight"] = counters.InFlight,
            ["unauthorised"] = Interlocked.Read(ref _unauthorised),
        };
    }

    private byte[]? ApiKey()
    {
        if (options.ApiKeyEnv is not { Length: > 0 } variable) return null;
        string? key = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(key)
            ? throw new ArgumentException($"--api-key-env names the environment variable {variable}, which is not set")
            : Encoding.UTF8.GetBytes(key);
    }

    private static bool Authorised(HttpRequest request, byte[] key)
    {
        string header = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[bearer.Length..].Trim()), key);
    }

    /// <summary>Whether <paramref name="listen"/> binds only the loopback interface.</summary>
    public static bool IsLoopback(string listen) =>
        Uri.TryCreate(listen, UriKind.Absolute, out var uri) && (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)));
}
