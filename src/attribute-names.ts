/**
 * Every attribute name this library writes, in one place.
 *
 * GenAI names follow the OpenTelemetry GenAI semantic conventions (development status, so we
 * keep our own constants rather than import the deprecated `/incubating` ones); OpenInference
 * names are what Arize Phoenix and Arize read; `langchain.*` and `langgraph.*` are our own.
 */

// OpenTelemetry GenAI semantic conventions
export const GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
export const GEN_AI_PROVIDER_NAME = "gen_ai.provider.name";
export const GEN_AI_REQUEST_MODEL = "gen_ai.request.model";
export const GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature";
export const GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p";
export const GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k";
export const GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens";
export const GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty";
export const GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty";
export const GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences";
export const GEN_AI_REQUEST_SEED = "gen_ai.request.seed";
export const GEN_AI_REQUEST_STREAM = "gen_ai.request.stream";
export const GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count";
export const GEN_AI_RESPONSE_MODEL = "gen_ai.response.model";
export const GEN_AI_RESPONSE_ID = "gen_ai.response.id";
export const GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons";
export const GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk";
export const GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens";
export const GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
export const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens";
export const GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens";
export const GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens";
export const GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages";
export const GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages";
export const GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions";
export const GEN_AI_TOOL_NAME = "gen_ai.tool.name";
export const GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id";
export const GEN_AI_TOOL_DESCRIPTION = "gen_ai.tool.description";
export const GEN_AI_TOOL_TYPE = "gen_ai.tool.type";
export const GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments";
export const GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result";
export const GEN_AI_DATA_SOURCE_ID = "gen_ai.data_source.id";
export const GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id";
export const GEN_AI_AGENT_NAME = "gen_ai.agent.name";
export const GEN_AI_AGENT_ID = "gen_ai.agent.id";
/** Metric attribute of `gen_ai.client.token.usage`: `input` or `output`. */
export const GEN_AI_TOKEN_TYPE = "gen_ai.token.type";
export const ERROR_TYPE = "error.type";

// OpenInference
export const OPENINFERENCE_SPAN_KIND = "openinference.span.kind";
export const INPUT_VALUE = "input.value";
export const INPUT_MIME_TYPE = "input.mime_type";
export const OUTPUT_VALUE = "output.value";
export const OUTPUT_MIME_TYPE = "output.mime_type";
export const LLM_MODEL_NAME = "llm.model_name";
export const LLM_PROVIDER = "llm.provider";
export const LLM_INVOCATION_PARAMETERS = "llm.invocation_parameters";
export const LLM_TOKEN_COUNT_PROMPT = "llm.token_count.prompt";
export const LLM_TOKEN_COUNT_COMPLETION = "llm.token_count.completion";
export const LLM_TOKEN_COUNT_TOTAL = "llm.token_count.total";
export const LLM_TOKEN_COUNT_PROMPT_CACHE_READ = "llm.token_count.prompt_details.cache_read";
export const LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE = "llm.token_count.prompt_details.cache_write";
export const LLM_TOKEN_COUNT_COMPLETION_REASONING = "llm.token_count.completion_details.reasoning";
/** Prefixes of the flattened message lists: `llm.input_messages.{i}.message.role`, ... */
export const LLM_INPUT_MESSAGES = "llm.input_messages";
export const LLM_OUTPUT_MESSAGES = "llm.output_messages";
/** Prefix of `llm.tools.{i}.tool.json_schema`. */
export const LLM_TOOLS = "llm.tools";
export const TOOL_JSON_SCHEMA = "tool.json_schema";
export const TOOL_NAME = "tool.name";
export const TOOL_DESCRIPTION = "tool.description";
/** Prefix of `retrieval.documents.{i}.document.{id,content,score,metadata}`. */
export const RETRIEVAL_DOCUMENTS = "retrieval.documents";
export const PROMPT_TEMPLATE_TEMPLATE = "llm.prompt_template.template";
export const PROMPT_TEMPLATE_VARIABLES = "llm.prompt_template.variables";
export const PROMPT_TEMPLATE_VERSION = "llm.prompt_template.version";
export const AGENT_NAME = "agent.name";
export const METADATA = "metadata";
export const TAG_TAGS = "tag.tags";
export const SESSION_ID = "session.id";
export const USER_ID = "user.id";

// This project's own
export const LANGCHAIN_RUN_ID = "langchain.run.id";
export const LANGCHAIN_RUN_PARENT_ID = "langchain.run.parent_id";
export const LANGCHAIN_RUN_TYPE = "langchain.run.type";
export const LANGCHAIN_RUN_NAME = "langchain.run.name";
/** Why a span was ended without its run ending: `ttl_expired`, `parent_ended`, `shutdown`. */
export const LANGCHAIN_RUN_UNFINISHED = "langchain.run.unfinished";
/** Names of the payload attributes on this span that were cut to `maxContentLength`. */
export const LANGCHAIN_CONTENT_TRUNCATED = "langchain.content.truncated";
export const LANGCHAIN_TOOL_STREAM_EVENTS = "langchain.tool.stream_events";
export const LANGGRAPH_NODE = "langgraph.node";
export const LANGGRAPH_STEP = "langgraph.step";
export const LANGGRAPH_TRIGGERS = "langgraph.triggers";
export const LANGGRAPH_CHECKPOINT_NS = "langgraph.checkpoint_ns";

// Span event names and their attributes
export const EVENT_TEXT = "langchain.text";
export const EVENT_AGENT_ACTION = "langchain.agent.action";
export const EVENT_AGENT_FINISH = "langchain.agent.finish";
export const EVENT_CONTENT = "langchain.event.content";

/** `error.type` of a run stopped through its AbortSignal (or an abort timeout). */
export const ERROR_TYPE_CANCELLED = "cancelled";
