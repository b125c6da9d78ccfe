using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Http.Resilience;
using OpenAI;
using Polly;

namespace FedLlm.Generation.Endpoint;

/// <summary>
/// Any OpenAI-compatible endpoint (vLLM, llama.cpp's server, Ollama, <c>fedllm serve</c>, a hosted API) as an
/// <see cref="IChatClient"/>: retries with exponential backoff and jitter on 408/429/5xx and network failures (honouring
/// Retry-After), a timeout per attempt, and at most <see cref="GeneratorSection.MaxConcurrency"/> requests in flight.
/// </summary>
public static class EndpointChatClient
{
    public static IChatClient Create(GeneratorSection section)
    {
        string endpoint = section.Endpoint ?? throw new ArgumentException("generator.endpoint is required");
        string model = section.Model ?? throw new ArgumentException("generator.model is required with an endpoint");
        var timeout = TimeSpan.FromSeconds(section.TimeoutSeconds);
        var resilience = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (section.MaxRetries > 0)
        {
            resilience.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = section.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(section.RetryDelaySeconds),
            });
        }
        var pipeline = resilience.AddTimeout(timeout).Build();
        var http = new HttpClient(new ResilienceHandler(pipeline) { InnerHandler = new SocketsHttpHandler() }) { Timeout = Timeout.InfiniteTimeSpan };
        var client = new OpenAIClient(new ApiKeyCredential(ApiKey(section)), new OpenAIClientOptions
        {
            Endpoint = new Uri(endpoint),
            Transport = new HttpClientPipelineTransport(http),
            // Retries happen once, in the resilience pipeline above.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = timeout,
        });
        return new ConcurrencyLimitedChatClient(client.GetChatClient(model).AsIChatClient(), section.MaxConcurrency, http);
    }

    /// <summary>The key from the environment variable the config names; local servers that check none get a placeholder.</summary>
    private static string ApiKey(GeneratorSection section)
    {
        if (section.ApiKeyEnv is not { Length: > 0 } variable) return "no-key";
        string? key = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(key)
            ? throw new ArgumentException($"generator.api_key_env names the environment variable {variable}, which is not set")
            : key;
    }
}
