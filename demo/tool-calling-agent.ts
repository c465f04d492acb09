/**
 * The classic LangGraph tool-calling loop: a model node, a `ToolNode`, and `toolsCondition`
 * between them. The demo's agent and the tests' agents are this graph with different parts.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { SystemMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";

export interface ToolCallingAgentParts {
  model: BaseChatModel;
  tools: StructuredToolInterface[];
  /** Sent first on every model call. */
  systemPrompt?: string;
  /** The graph's name: its root span is `invoke_workflow {name}`. Default "LangGraph". */
  name?: string;
}

export function buildToolCallingAgent({ model, tools, systemPrompt, name }: ToolCallingAgentParts) {
  if (model.bindTools === undefined) throw new Error("buildToolCallingAgent: the model cannot bind tools");
  const boundModel = model.bindTools(tools);
  const callModel = async (state: typeof MessagesAnnotation.State, config: RunnableConfig) => ({
    messages: [await boundModel.invoke(systemPrompt === undefined ? state.messages : [new SystemMessage(systemPrompt), ...state.messages], config)],
  });
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", callModel)
    .addNode("tools", new ToolNode(tools)) // handleToolErrors (default true) turns a throw into an error ToolMessage
    .addEdge(START, "agent")
    .addConditionalEdges("agent", toolsCondition, ["tools", END])
    .addEdge("tools", "agent")
    .compile(name === undefined ? {} : { name });
}
