// The interface's words: Portuguese (Brazil) by default, English available; the choice is kept in this browser.
const WORDS = {
  "pt-BR": {
    skip: "Pular para o conteúdo", language: "Idioma", logout: "Sair", chat: "Conversas",
    "chat.waiting": "{n} conversas aguardando resposta", "session.expired": "Sua sessão expirou. Entre novamente.",
    "role.attendant": "Atendente", "role.seller": "Vendedor(a)", "role.admin": "Administrador(a)",
    conversation: "Conversa", loading: "Carregando…", cancel: "Cancelar",
    "login.title": "Entrar no leadline", "login.dev": "Desenvolvimento: escolha um agente",
    "login.with_token": "Entrar com token", "login.token": "Token de acesso (JWT)", "login.enter": "Entrar",
    "login.bad_token": "Token inválido ou expirado.",
    "inbox.title": "Caixa de entrada", "inbox.search": "Buscar por nome ou número", "inbox.statuses": "Situação",
    "inbox.none": "Nenhuma conversa aqui.", "inbox.none_filtered": "Nenhuma conversa com estes filtros.",
    "inbox.with": "com {name}", "inbox.pool": "na fila: {teams}", "inbox.pick": "Escolha uma conversa.",
    "filter.title": "Filtro", "filter.clear": "Limpar filtros", "filter.dates": "Período", "filter.since": "De",
    "filter.until": "Até", "filter.teams": "Equipes / unidades", "filter.agents": "Agentes", "filter.close": "Fechar",
    "status.new": "Novas", "status.unanswered": "Não respondidas", "status.no_reply": "Sem retorno", "status.finished": "Finalizadas",
    "kind.text": "Texto", "kind.image": "Imagem", "kind.sticker": "Figurinha", "kind.gif": "GIF", "kind.video": "Vídeo",
    "kind.audio": "Áudio", "kind.voice": "Mensagem de voz", "kind.document": "Documento", "kind.template": "Modelo",
    "kind.location": "Localização", "kind.contacts": "Contato", "kind.reaction": "Reação", "kind.button": "Botão",
    "kind.interactive_reply": "Resposta", "kind.unsupported": "Mensagem não suportada",
    "delivery.pending": "Enviando", "delivery.sent": "Enviada", "delivery.delivered": "Entregue", "delivery.read": "Lida",
    "delivery.failed": "Falhou",
    "message.agent": "Agente", "message.phone": "Pelo celular",
    "media.loading": "{kind}: baixando do WhatsApp…", "media.failed": "{kind} indisponível: o WhatsApp não entregou o arquivo agora.",
    "media.gone": "{kind} indisponível: o arquivo expirou ou foi apagado no WhatsApp.", "media.code": "código {code} do WhatsApp",
    "media.retry": "Tentar de novo", "media.retrying": "Buscando de novo…", "media.enlarge": "Ampliar a foto",
    "media.enlarged": "Foto ampliada", "media.close": "Fechar", "media.open_map": "Abrir no mapa",
    "temperature.hot": "Quente", "temperature.warm": "Morno", "temperature.cold": "Frio",
    "conversation.search": "Buscar nesta conversa", "conversation.messages": "Mensagens", "conversation.via": "Para",
    "conversation.finish": "Finalizar", "conversation.finished": "Conversa finalizada.",
    "conversation.lost": "Esta conversa não está mais com você (outro agente a assumiu).",
    "conversation.add_to_answer": "Clique em “Adicionar lead” para assumir e responder esta conversa.",
    "conversation.no_match": "Nenhuma mensagem encontrada.", "conversation.empty": "Sem mensagens.",
    "reply.placeholder": "Escreva uma resposta", "reply.image": "Enviar imagem", "reply.send": "Enviar",
    "lead.open": "Abrir lead", "lead.add": "Adicionar lead", "lead.save": "Salvar", "lead.saved": "Lead salvo. A conversa é sua.",
    "lead.already_claimed": "{name} já assumiu esta conversa.", "lead.name": "Nome", "lead.mobile": "Celular",
    "lead.email": "E-mail", "lead.vehicle": "Veículo de interesse", "lead.notes": "Observações",
    "lead.responsible": "Responsável", "lead.temperature": "Temperatura", "lead.not_found": "Lead não encontrado.",
    "timeline.title": "Linha do tempo", "timeline.empty": "Nada na linha do tempo ainda.", "timeline.customer": "Cliente",
    "timeline.conversion_point": "Ponto de conversão", "timeline.temperature": "Temperatura:",
    "timeline.claim": "Conversa assumida", "timeline.transfer": "Lead transferido",
    "timeline.conversation_started": "Conversa iniciada", "timeline.conversation_finished": "Conversa finalizada",
    "lead.back": "Voltar à conversa",
    "source.whatsapp": "WhatsApp",
    "start.title": "Iniciar conversa", "start.number": "Número do WhatsApp", "start.message": "Mensagem",
    "start.button": "Iniciar conversa", "start.no_phone": "Este lead não tem telefone.", "start.open_one": "Abrir a conversa em andamento",
    "start.in_pool": "Este cliente já tem uma conversa aguardando na fila: assuma-a (Adicionar lead) para responder.",
    "start.open_pooled": "Abrir a conversa na fila",
    "lead.no_number": "{username} usa nome de usuário no WhatsApp e não compartilhou o número. Salve sem celular e use “Pedir número”: o número que o cliente compartilhar preenche o lead.",
    "lead.the_customer": "O cliente", "lead.no_mobile": "sem número (cliente no WhatsApp)",
    "contact.request": "Pedir número", "contact.request_hint": "Envia o modelo aprovado com o botão “Compartilhar contato” do WhatsApp",
    "contact.requested": "Pedido de número enviado.", "contact.shared": "Compartilhou o número: {number}",
  },
  en: {
    skip: "Skip to content", language: "Language", logout: "Log out", chat: "Chats",
    "chat.waiting": "{n} conversations waiting for an answer", "session.expired": "Your session expired. Log in again.",
    "role.attendant": "Attendant", "role.seller": "Seller", "role.admin": "Administrator",
    conversation: "Conversation", loading: "Loading…", cancel: "Cancel",
    "login.title": "Log in to leadline", "login.dev": "Development: pick an agent",
    "login.with_token": "Log in with a token", "login.token": "Access token (JWT)", "login.enter": "Log in",
    "login.bad_token": "The token is not valid or has expired.",
    "inbox.title": "Inbox", "inbox.search": "Search by name or number", "inbox.statuses": "Status",
    "inbox.none": "No conversations here.", "inbox.none_filtered": "No conversations with these filters.",
    "inbox.with": "with {name}", "inbox.pool": "in pool: {teams}", "inbox.pick": "Pick a conversation.",
    "filter.title": "Filter", "filter.clear": "Clear filters", "filter.dates": "Dates", "filter.since": "From",
    "filter.until": "To", "filter.teams": "Teams / units", "filter.agents": "Agents", "filter.close": "Close",
    "status.new": "New", "status.unanswered": "Unanswered", "status.no_reply": "No reply", "status.finished": "Finished",
    "kind.text": "Text", "kind.image": "Image", "kind.sticker": "Sticker", "kind.gif": "GIF", "kind.video": "Video",
    "kind.audio": "Audio", "kind.voice": "Voice message", "kind.document": "Document", "kind.template": "Template",
    "kind.location": "Location", "kind.contacts": "Contact", "kind.reaction": "Reaction", "kind.button": "Button",
    "kind.interactive_reply": "Reply", "kind.unsupported": "Unsupported message",
    "delivery.pending": "Sending", "delivery.sent": "Sent", "delivery.delivered": "Delivered", "delivery.read": "Read",
    "delivery.failed": "Failed",
    "message.agent": "Agent", "message.phone": "From the phone",
    "media.loading": "{kind}: downloading from WhatsApp…", "media.failed": "{kind} not available: WhatsApp did not hand over the file just now.",
    "media.gone": "{kind} not available: the file expired or was deleted on WhatsApp.", "media.code": "WhatsApp code {code}",
    "media.retry": "Try again", "media.retrying": "Fetching again…", "media.enlarge": "Enlarge the photo",
    "media.enlarged": "Enlarged photo", "media.close": "Close", "media.open_map": "Open in the map",
    "temperature.hot": "Hot", "temperature.warm": "Warm", "temperature.cold": "Cold",
    "conversation.search": "Search this conversation", "conversation.messages": "Messages", "conversation.via": "To",
    "conversation.finish": "Finish", "conversation.finished": "Conversation finished.",
    "conversation.lost": "This conversation is no longer yours (another agent took it).",
    "conversation.add_to_answer": "Click “Add lead” to take and answer this conversation.",
    "conversation.no_match": "No message found.", "conversation.empty": "No messages.",
    "reply.placeholder": "Write a reply", "reply.image": "Send an image", "reply.send": "Send",
    "lead.open": "Open lead", "lead.add": "Add lead", "lead.save": "Save", "lead.saved": "Lead saved. The conversation is yours.",
    "lead.already_claimed": "{name} already took this conversation.", "lead.name": "Name", "lead.mobile": "Mobile",
    "lead.email": "Email", "lead.vehicle": "Vehicle of interest", "lead.notes": "Notes",
    "lead.responsible": "Responsible", "lead.temperature": "Temperature", "lead.not_found": "Lead not found.",
    "timeline.title": "Timeline", "timeline.empty": "Nothing in the timeline yet.", "timeline.customer": "Customer",
    "timeline.conversion_point": "Conversion point", "timeline.temperature": "Temperature:",
    "timeline.claim": "Conversation taken", "timeline.transfer": "Lead transferred",
    "timeline.conversation_started": "Conversation started", "timeline.conversation_finished": "Conversation finished",
    "lead.back": "Back to the conversation",
    "source.whatsapp": "WhatsApp",
    "start.title": "Start conversation", "start.number": "WhatsApp number", "start.message": "Message",
    "start.button": "Start conversation", "start.no_phone": "This lead has no phone.", "start.open_one": "Open the ongoing conversation",
    "start.in_pool": "This customer already has a conversation waiting in the pool: take it (Add lead) to answer.",
    "start.open_pooled": "Open the conversation in the pool",
    "lead.no_number": "{username} uses a WhatsApp username and has not shared a number. Save without a mobile and use “Ask for number”: the number the customer shares fills the lead.",
    "lead.the_customer": "The customer", "lead.no_mobile": "no number (customer on WhatsApp)",
    "contact.request": "Ask for number", "contact.request_hint": "Sends the approved template with WhatsApp's “Share contact info” button",
    "contact.requested": "Number requested.", "contact.shared": "Shared their number: {number}",
  },
};
const KEY = "leadline.language";

export function language() {
  const chosen = localStorage.getItem(KEY);
  return chosen in WORDS ? chosen : "pt-BR";
}

export function setLanguage(value) {
  localStorage.setItem(KEY, value in WORDS ? value : "pt-BR");
  applyTranslations();
}

export function t(key, vars = {}, fallback = key) {
  const text = WORDS[language()][key] ?? WORDS["pt-BR"][key] ?? fallback;
  return text.replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "").trim();
}

export function dateTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(language(), { dateStyle: "short", timeStyle: "short" }).format(new Date(iso));
}

export function applyTranslations() {
  document.documentElement.lang = language();
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

export const LANGUAGES = Object.keys(WORDS);
